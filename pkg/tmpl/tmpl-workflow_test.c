/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rendered workflows: Tinkerbell-style templates rendered with data shaped
 * like the Workflow controller's and parsed into the document pkg/workflow
 * consumes; yaml.v3's decoding rules; upstream's validation rules; the OCI
 * reference grammar.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tmpl/tmpl-test.h"

/* hardwareMap keys, .Hardware with Go field names, .hardware with JSON
 * names, as the Workflow controller builds them. */
#define HW_DATA                                                                                  \
    "{\"device_1\":\"52:54:00:12:34:56\","                                                       \
    "\"Hardware\":{\"Disks\":[\"/dev/nvme0n1\",\"/dev/sda\"],"                                   \
    "\"Interfaces\":[{\"DHCP\":{\"MAC\":\"52:54:00:12:34:56\",\"Hostname\":\"node1\","           \
    "\"IP\":{\"Address\":\"10.1.1.20\",\"Netmask\":\"255.255.255.0\",\"Gateway\":\"10.1.1.1\"}," \
    "\"NameServers\":[\"1.1.1.1\",\"8.8.8.8\"]},\"Netboot\":{\"AllowPXE\":true}}],"              \
    "\"UserData\":\"#cloud-config\\n\",\"VendorData\":\"\","                                     \
    "\"Metadata\":{\"Instance\":{\"ID\":\"i-1234\",\"Hostname\":\"node1\"}}},"                   \
    "\"hardware\":{\"apiVersion\":\"tinkerbell.org/v1alpha1\",\"kind\":\"Hardware\","            \
    "\"metadata\":{\"name\":\"node1\",\"namespace\":\"default\"},"                               \
    "\"spec\":{\"disks\":[{\"device\":\"/dev/nvme0n1\"}],"                                       \
    "\"metadata\":{\"instance\":{\"id\":\"i-1234\",\"hostname\":\"node1\"}}}}}"

static const char ubuntu_template[] =
        "version: \"0.1\"\n"
        "name: ubuntu-jammy\n"
        "global_timeout: 1800\n"
        "tasks:\n"
        "  - name: \"os-installation\"\n"
        "    worker: \"{{.device_1}}\"\n"
        "    volumes:\n"
        "      - /dev:/dev\n"
        "      - /dev/console:/dev/console\n"
        "      - /lib/firmware:/lib/firmware:ro\n"
        "    actions:\n"
        "      - name: \"stream-ubuntu-image\"\n"
        "        image: quay.io/tinkerbell/actions/image2disk:latest\n"
        "        timeout: 600\n"
        "        environment:\n"
        "          DEST_DISK: {{ index .Hardware.Disks 0 }}\n"
        "          IMG_URL: \"http://10.1.1.11:8080/jammy.raw.gz\"\n"
        "          COMPRESSED: true\n"
        "      - name: \"write-netplan\"\n"
        "        image: quay.io/tinkerbell/actions/writefile:latest\n"
        "        timeout: 90\n"
        "        environment:\n"
        "          DEST_DISK: {{ formatPartition ( index .Hardware.Disks 0 ) 1 }}\n"
        "          FS_TYPE: ext4\n"
        "          DEST_PATH: /etc/netplan/config.yaml\n"
        "          CONTENTS: |\n"
        "            network:\n"
        "              version: 2\n"
        "              ethernets:\n"
        "                id0:\n"
        "                  match:\n"
        "                    macaddress: {{ (index .Hardware.Interfaces 0).DHCP.MAC }}\n"
        "                  addresses:\n"
        "                    - {{ (index .Hardware.Interfaces 0).DHCP.IP.Address }}/"
        "{{ netmaskToPrefixLength (index .Hardware.Interfaces 0).DHCP.IP.Netmask }}\n"
        "                  nameservers:\n"
        "                    addresses: [{{ join \", \" (index .Hardware.Interfaces "
        "0).DHCP.NameServers }}]\n"
        "          UID: 0\n"
        "          MODE: 0644\n"
        "      - name: \"kexec-ubuntu\"\n"
        "        image: ghcr.io/jacobweinstock/waitdaemon:0.2.1\n"
        "        timeout: 90\n"
        "        pid: host\n"
        "        command: [\"kexec\"]\n"
        "        environment:\n"
        "          BLOCK_DEVICE: {{ formatPartition ( index .Hardware.Disks 0 ) 1 }}\n"
        "          FS_TYPE: ext4\n"
        "          WAIT_SECONDS: 5\n"
        "        volumes:\n"
        "          - /var/run/docker.sock:/var/run/docker.sock\n";

static const char ubuntu_want[] =
        "{\"name\":\"ubuntu-jammy\",\"version\":\"0.1\",\"global_timeout\":1800,\"tasks\":[{"
        "\"name\":\"os-installation\",\"worker\":\"52:54:00:12:34:56\","
        "\"volumes\":[\"/dev:/dev\",\"/dev/console:/dev/console\","
        "\"/lib/firmware:/lib/firmware:ro\"],\"environment\":{},\"actions\":["
        "{\"name\":\"stream-ubuntu-image\",\"image\":\"quay.io/tinkerbell/actions/"
        "image2disk:latest\",\"timeout\":600,\"command\":[],\"volumes\":[],\"environment\":{"
        "\"DEST_DISK\":\"/dev/nvme0n1\",\"IMG_URL\":\"http://10.1.1.11:8080/jammy.raw.gz\","
        "\"COMPRESSED\":\"true\"},\"pid\":null,\"namespaces\":{},\"retries\":0},"
        "{\"name\":\"write-netplan\",\"image\":\"quay.io/tinkerbell/actions/writefile:latest\","
        "\"timeout\":90,\"command\":[],\"volumes\":[],\"environment\":{\"DEST_DISK\":\"/dev/"
        "nvme0n1p1\",\"FS_TYPE\":\"ext4\",\"DEST_PATH\":\"/etc/netplan/config.yaml\","
        "\"CONTENTS\":\"network:\\n  version: 2\\n  ethernets:\\n    id0:\\n      match:\\n"
        "        macaddress: 52:54:00:12:34:56\\n      addresses:\\n        - 10.1.1.20/24\\n"
        "      nameservers:\\n        addresses: [1.1.1.1, 8.8.8.8]\\n\",\"UID\":\"0\","
        "\"MODE\":\"0644\"},\"pid\":null,\"namespaces\":{},\"retries\":0},"
        "{\"name\":\"kexec-ubuntu\",\"image\":\"ghcr.io/jacobweinstock/waitdaemon:0.2.1\","
        "\"timeout\":90,\"command\":[\"kexec\"],\"volumes\":[\"/var/run/docker.sock:/var/run/"
        "docker.sock\"],\"environment\":{\"BLOCK_DEVICE\":\"/dev/nvme0n1p1\",\"FS_TYPE\":\"ext4\","
        "\"WAIT_SECONDS\":\"5\"},\"pid\":\"host\",\"namespaces\":{},\"retries\":0}]}]}";

/* Ranges over disks, reads .hardware, writes user data with toYaml/nindent
 * and uses the anvil retries extension. */
static const char wipe_template[] =
        "version: \"0.1\"\n"
        "name: wipe-{{ .hardware.metadata.name }}\n"
        "global_timeout: 600\n"
        "tasks:\n"
        "  - name: wipe\n"
        "    worker: \"{{ .device_1 }}\"\n"
        "    environment:\n"
        "      INSTANCE: {{ .hardware.spec.metadata.instance.id | quote }}\n"
        "    actions:\n"
        "{{- range $i, $disk := .Hardware.Disks }}\n"
        "      - name: wipe-{{ $i }}\n"
        "        image: quay.io/tinkerbell/actions/wipe:v1\n"
        "        timeout: {{ mul 60 (add $i 1) }}\n"
        "        retries: 2\n"
        "        environment:\n"
        "          DEVICE: {{ $disk }}\n"
        "{{- end }}\n"
        "      - name: userdata\n"
        "        image: alpine\n"
        "        namespaces:\n"
        "          network: host\n"
        "        environment:\n"
        "          DATA: {{- .Hardware.UserData | toYaml | nindent 12 }}\n"
        "          HOST: {{ .Hardware.Metadata.Instance.Hostname | upper }}\n";

static const char wipe_want[] =
        "{\"name\":\"wipe-node1\",\"version\":\"0.1\",\"global_timeout\":600,\"tasks\":[{"
        "\"name\":\"wipe\",\"worker\":\"52:54:00:12:34:56\",\"volumes\":[],"
        "\"environment\":{\"INSTANCE\":\"i-1234\"},\"actions\":["
        "{\"name\":\"wipe-0\",\"image\":\"quay.io/tinkerbell/actions/wipe:v1\",\"timeout\":60,"
        "\"command\":[],\"volumes\":[],\"environment\":{\"DEVICE\":\"/dev/nvme0n1\"},"
        "\"pid\":null,\"namespaces\":{},\"retries\":2},"
        "{\"name\":\"wipe-1\",\"image\":\"quay.io/tinkerbell/actions/wipe:v1\",\"timeout\":120,"
        "\"command\":[],\"volumes\":[],\"environment\":{\"DEVICE\":\"/dev/sda\"},"
        "\"pid\":null,\"namespaces\":{},\"retries\":2},"
        "{\"name\":\"userdata\",\"image\":\"alpine\",\"timeout\":0,\"command\":[],\"volumes\":[],"
        "\"environment\":{\"DATA\":\"#cloud-config\\n\",\"HOST\":\"NODE1\"},\"pid\":null,"
        "\"namespaces\":{\"network\":\"host\"},\"retries\":0}]}]}";

static void check_rendered(const char *text, const char *data_json, const char *want_json)
{
    json_t *data = test_json(data_json), *want = test_json(want_json), *wf = NULL;
    struct tmpl_error err;
    char *out = NULL;
    size_t len;
    int r;

    r = tmpl_render("workflow-template", text, strlen(text), data, &out, &len, &err);
    if (r < 0)
        fail_msg("render: %d %s", r, err.message);
    r = tmpl_parse_workflow(out, len, &wf, &err);
    if (r < 0)
        fail_msg("parse: %d %s (line %d)\n%s", r, err.message, err.line, out);
    if (!json_equal(wf, want)) {
        char *got = json_dumps(wf, JSON_SORT_KEYS);
        fail_msg("got %s\nrendered:\n%s", got, out);
    }
    json_decref(wf);
    json_decref(want);
    json_decref(data);
    free(out);
}

static void test_workflow_tinkerbell_examples(void **state)
{
    (void)state;
    check_rendered(ubuntu_template, HW_DATA, ubuntu_want);
    check_rendered(wipe_template, HW_DATA, wipe_want);
}

static void test_workflow_render_errors_name_the_key(void **state)
{
    static const char text[] = "name: x\ntasks:\n  - name: t\n    worker: \"{{.device_2}}\"\n";
    static const char empty_worker[] =
            "name: x\ntasks:\n  - name: t\n    worker: '{{ .device_2 | default \"\" }}'\n"
            "    actions: []\n";
    json_t *data = test_json(HW_DATA), *wf = NULL;
    struct tmpl_error err;
    char *out = NULL;
    size_t len;
    (void)state;

    assert_int_equal(tmpl_render("workflow-template", text, strlen(text), data, &out, &len, &err),
                     -EINVAL);
    assert_string_equal(err.message, "template: workflow-template:4:15: executing "
                                     "\"workflow-template\" at <.device_2>: map has no entry for "
                                     "key \"device_2\"");
    assert_int_equal(err.line, 4);

    /* a key that is present but empty renders; the worker rule stops it */
    json_object_set_new(data, "device_2", json_string(""));
    assert_int_equal(tmpl_render("wf", empty_worker, strlen(empty_worker), data, &out, &len, &err),
                     0);
    assert_int_equal(tmpl_parse_workflow(out, len, &wf, &err), -EINVAL);
    assert_null(wf);
    assert_string_equal(err.message, "failed to render template, empty hardware address (task t)");
    assert_int_equal(err.line, 4);
    free(out);
    json_decref(data);
}

struct wf_case {
    const char *yaml;
    int rc;
    const char *want; /* JSON of the result, or a fragment of the error */
    int line;         /* expected error line, 0: not checked */
};

static void run_wf_cases(const struct wf_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct tmpl_error err;
        json_t *wf = NULL;
        int r;

        memset(&err, 0x5a, sizeof(err));
        r = tmpl_parse_workflow(c[i].yaml, strlen(c[i].yaml), &wf, &err);
        if (r != c[i].rc)
            fail_msg("%s: rc %d, want %d (%s)", c[i].yaml, r, c[i].rc, r < 0 ? err.message : "");
        if (r == 0) {
            json_t *want = test_json(c[i].want);
            if (!json_equal(wf, want)) {
                char *got = json_dumps(wf, JSON_SORT_KEYS);
                fail_msg("%s:\n got %s\nwant %s", c[i].yaml, got, c[i].want);
            }
            json_decref(want);
            json_decref(wf);
            continue;
        }
        assert_null(wf);
        if (!strstr(err.message, c[i].want))
            fail_msg("%s: error \"%s\" lacks \"%s\"", c[i].yaml, err.message, c[i].want);
        if (c[i].line && err.line != c[i].line)
            fail_msg("%s: error line %d, want %d", c[i].yaml, err.line, c[i].line);
    }
}

#define T1 "name: w\ntasks:\n- name: t\n  worker: m\n  actions:\n  - name: a\n    image: alpine\n"
#define A0                                                                         \
    "\"timeout\":0,\"command\":[],\"volumes\":[],\"environment\":{},\"pid\":null," \
    "\"namespaces\":{},\"retries\":0"

static void test_workflow_decoding_like_yaml_v3(void **state)
{
    static const struct wf_case cases[] = {
            {T1, 0,
             "{\"name\":\"w\",\"version\":null,\"global_timeout\":0,\"tasks\":[{\"name\":\"t\","
             "\"worker\":\"m\",\"volumes\":[],\"environment\":{},\"actions\":[{\"name\":\"a\","
             "\"image\":\"alpine\"," A0 "}]}]}",
             0},
            /* scalars in string fields keep their YAML text */
            {"version: 0.10\nname: 12\ntasks:\n- name: true\n  worker: 0x1F\n  environment: {A: "
             "true, B: 1.10, C: 0777, D: ~, E: \"q\", F: 1e3, G: 12, H: True}\n  actions: []\n",
             0,
             "{\"name\":\"12\",\"version\":\"0.10\",\"global_timeout\":0,\"tasks\":[{\"name\":"
             "\"true\",\"worker\":\"0x1F\",\"volumes\":[],\"environment\":{\"A\":\"true\",\"B\":"
             "\"1.10\",\"C\":\"0777\",\"D\":\"\",\"E\":\"q\",\"F\":\"1e3\",\"G\":\"12\",\"H\":"
             "\"True\"},\"actions\":[]}]}",
             0},
            {"name: w\nglobal_timeout: 1.9\ntasks:\n- name: t\n  worker: m\n  volumes: [1, null, "
             "x]\n  actions:\n  - name: a\n    image: alpine\n    timeout: 2.5\n    command: "
             "[sleep, "
             "10, false]\n    pid: host\n    namespaces: {network: host, pid: \"\"}\n    retries: "
             "3\n    unknown: {deep: [1]}\n    on-timeout: [x]\n",
             0,
             "{\"name\":\"w\",\"version\":null,\"global_timeout\":1,\"tasks\":[{\"name\":\"t\","
             "\"worker\":\"m\",\"volumes\":[\"1\",\"\",\"x\"],\"environment\":{},\"actions\":[{"
             "\"name\":\"a\",\"image\":\"alpine\",\"timeout\":2,\"command\":[\"sleep\",\"10\","
             "\"false\"],\"volumes\":[],\"environment\":{},\"pid\":\"host\",\"namespaces\":{"
             "\"network\":\"host\"},\"retries\":3}]}]}",
             0},
            /* aliases are expanded; the first document counts */
            {"name: w\nenv: &e {K: 1.50}\ntasks:\n- name: t\n  worker: m\n  environment: *e\n  "
             "actions: []\n---\nname: other\n",
             0,
             "{\"name\":\"w\",\"version\":null,\"global_timeout\":0,\"tasks\":[{\"name\":\"t\","
             "\"worker\":\"m\",\"volumes\":[],\"environment\":{\"K\":\"1.5\"},\"actions\":[]}]}",
             0},
            /* yaml.v3's type errors, with the line */
            {"name: [a]\n", -EBADMSG,
             "yaml: unmarshal errors: line 1: cannot unmarshal !!seq into string", 1},
            {"name: w\nglobal_timeout: abc\n", -EBADMSG,
             "line 2: cannot unmarshal !!str `abc` into int", 2},
            {"- a\n", -EBADMSG, "cannot unmarshal !!seq into workflow.Workflow", 1},
            {"just text\n", -EBADMSG, "cannot unmarshal !!str `just text` into workflow.Workflow",
             1},
            {"name: w\ntasks: {}\n", -EBADMSG,
             "line 2: cannot unmarshal !!map into []workflow.Task", 2},
            {"name: w\ntasks:\n- 1\n", -EBADMSG,
             "line 3: cannot unmarshal !!int `1` into workflow.Task", 3},
            {"name: w\ntasks:\n- name: t\n  actions: [x]\n", -EBADMSG,
             "cannot unmarshal !!str `x` into workflow.Action", 4},
            {T1 "    timeout: true\n", -EBADMSG,
             "line 8: cannot unmarshal !!bool `true` into int64", 8},
            {T1 "    timeout: 1e30\n", -EBADMSG, "cannot unmarshal !!float `1e+30` into int64", 8},
            {T1 "    retries: \"3\"\n", -EBADMSG, "cannot unmarshal !!str `3` into int64", 8},
            {T1 "    environment: [a]\n", -EBADMSG, "cannot unmarshal !!seq into map[string]string",
             8},
            {T1 "    environment:\n      A: {b: c}\n", -EBADMSG,
             "line 9: cannot unmarshal !!map into string", 9},
            {T1 "    volumes: /dev\n", -EBADMSG, "cannot unmarshal !!str `/dev` into []string", 8},
            {T1 "    command: {a: b}\n", -EBADMSG, "cannot unmarshal !!map into []string", 8},
            {T1 "    on-failure: 3\n", -EBADMSG, "cannot unmarshal !!int `3` into []string", 8},
            {T1 "    namespaces: host\n", -EBADMSG,
             "cannot unmarshal !!str `host` into workflow.ActionNamespace", 8},
            {"name: w\nid: [1]\n", -EBADMSG, "line 2: cannot unmarshal !!seq into string", 2},
            /* YAML syntax */
            {"name: w\ntasks: [\n", -EBADMSG, "yaml: line", 0},
            {"name: a\nname: b\n", -EBADMSG, "yaml: line 2", 2},
            {"a: b: c\n", -EBADMSG, "yaml: line 1", 1},
    };
    (void)state;
    run_wf_cases(cases, ARRAY_SIZE(cases));
}

#define A50     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define NAME200 A50 A50 A50 A50

static void test_workflow_validation_rules(void **state)
{
    static const struct wf_case cases[] = {
            {"name: \"\"\ntasks: []\n", -EINVAL,
             "validating workflow template: name cannot be empty or have more than 200 "
             "characters: ",
             1},
            {"tasks: []\n", -EINVAL, "name cannot be empty", 0},
            {"", -EINVAL, "name cannot be empty", 0},
            {"name: " NAME200 "\n", -EINVAL, "name cannot be empty or have more than 200", 1},
            {"name: w\n", -EINVAL,
             "validating workflow template: template must have at least one task defined", 0},
            {"name: w\ntasks: []\n", -EINVAL, "template must have at least one task defined", 2},
            {"name: w\ntasks:\n- worker: m\n", -EINVAL, "name cannot be empty", 3},
            {"name: w\ntasks:\n- name: t\n  worker: m\n- name: t\n  worker: n\n", -EINVAL,
             "two tasks in a template cannot have same name (t)", 5},
            {T1 "  - name: a\n    image: busybox\n", -EINVAL,
             "two actions in a task cannot have same name: a", 8},
            {T1 "  - image: busybox\n", -EINVAL, "name cannot be empty", 8},
            {T1 "  - name: b\n    image: Busy/Box\n", -EINVAL,
             "invalid action image (Busy/Box): invalid reference format: repository name (Box) "
             "must be lowercase",
             9},
            {T1 "  - name: b\n", -EINVAL, "invalid action image (): invalid reference format", 8},
            {T1 "    retries: -1\n", -EINVAL, "action a: retries must be a non-negative integer",
             8},
            {"name: w\ntasks:\n- name: t\n  worker: \"\"\n", -EINVAL,
             "failed to render template, empty hardware address (task t)", 4},
            {"name: w\ntasks:\n- name: t\n- name: u\n  worker: m\n", -EINVAL,
             "empty hardware address", 3},
            /* two tasks may share a worker */
            {"name: w\ntasks:\n- name: t\n  worker: m\n- name: u\n  worker: m\n", 0,
             "{\"name\":\"w\",\"version\":null,\"global_timeout\":0,\"tasks\":[{\"name\":\"t\","
             "\"worker\":\"m\",\"volumes\":[],\"environment\":{},\"actions\":[]},{\"name\":\"u\","
             "\"worker\":\"m\",\"volumes\":[],\"environment\":{},\"actions\":[]}]}",
             0},
    };
    (void)state;
    run_wf_cases(cases, ARRAY_SIZE(cases));

    /* the longest valid name */
    char yaml[512];
    json_t *wf = NULL;
    (void)snprintf(yaml, sizeof(yaml), "name: %.199s\ntasks:\n- name: t\n  worker: m\n", NAME200);
    assert_int_equal(tmpl_parse_workflow(yaml, strlen(yaml), &wf, NULL), 0);
    assert_int_equal(json_string_length(json_object_get(wf, "name")), 199);
    json_decref(wf);
}

static void test_workflow_arguments_checked(void **state)
{
    struct tmpl_error err;
    json_t *wf = NULL;
    (void)state;

    assert_int_equal(tmpl_parse_workflow(NULL, 0, &wf, &err), -EINVAL);
    assert_int_equal(tmpl_parse_workflow("name: w", 7, NULL, &err), -EINVAL);
    assert_null(wf);
}

static void test_workflow_image_references(void **state)
{
    static const struct {
        const char *ref;
        const char *err; /* NULL: valid */
    } cases[] = {
            {"alpine", NULL},
            {"alpine:3.19", NULL},
            {"library/alpine", NULL},
            {"docker.io/library/alpine:latest", NULL},
            {"index.docker.io/alpine", NULL},
            {"quay.io/tinkerbell/actions/image2disk:latest", NULL},
            {"localhost:5000/foo/bar:tag", NULL},
            {"localhost/foo", NULL},
            {"10.0.0.1:5000/x", NULL},
            {"[::1]:5000/x", NULL},
            {"[fe80::1]/x:y", NULL},
            {"ghcr.io/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
             NULL},
            {"a/b:v1.2.3-rc.1_x@sha512:"
             "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
             "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
             NULL},
            {"my-registry.local/a__b/c-d.e/f--g", NULL},
            {"Foo/bar", NULL},
            {"EXAMPLE.com/x", NULL},
            {"", "invalid reference format"},
            {"Alpine",
             "invalid reference format: repository name (library/Alpine) must be lowercase"},
            {"docker.io/Library/x", "repository name (Library/x) must be lowercase"},
            {"alpine:", "invalid reference format"},
            {"alpine:-x", "invalid reference format"},
            {"a b", "invalid reference format"},
            {"a..b", "invalid reference format"},
            {"a___b", "invalid reference format"},
            {"a_.b", "invalid reference format"},
            {"-a", "invalid reference format"},
            {"a/", "invalid reference format"},
            {"/a", "invalid reference format"},
            {"host:abc/x", "invalid reference format"},
            {"host:/x", "invalid reference format"},
            {"[zz]:5000/x", "invalid reference format"},
            {"-host.io/x", "invalid reference format"},
            {"alpine:a:b", "invalid reference format"},
            {"alpine@sha256:abc", "invalid reference format"},
            {"alpine@sha256:0123456789abcdef0123456789abcdef01234567",
             "invalid checksum digest length"},
            {"alpine@md5:0123456789abcdef0123456789abcdef", "unsupported digest algorithm"},
            {"alpine@SHA256:0123456789abcdef0123456789abcdef",
             "repository name (library/alpine@SHA256) must be lowercase"},
            {"alpine@sha256:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
             "invalid checksum digest format"},
            {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
             "cannot specify 64-byte hexadecimal strings"},
            {"alpine:"
             "ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
             "ttttttttttttttttttttttttttttttttttttttttttttttt",
             "invalid reference format"},
            {"x/"
             "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
             "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
             "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
             "bb",
             "repository name must not be more than 255 characters"},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char msg[256];
        int r = tmpl_reference_validate(cases[i].ref, strlen(cases[i].ref), msg, sizeof(msg));
        if (!cases[i].err && r != 0)
            fail_msg("%s: rejected: %s", cases[i].ref, msg);
        if (cases[i].err && (r != -EINVAL || !strstr(msg, cases[i].err)))
            fail_msg("%s: %d \"%s\", want \"%s\"", cases[i].ref, r, msg, cases[i].err);
    }
}

static void test_workflow_locate_finds_nodes(void **state)
{
    static const char yaml[] = "a:\n  b: [x, 1.10]\n  \"c/d\": {e~: 7}\nf: *x\n";
    struct tmpl_yaml_query q[] = {
            {.pointer = "/a/b/1"},
            {.pointer = "/a/c~1d/e~0"},
            {.pointer = "/a"},
            {.pointer = "/nope"},
    };
    (void)state;

    /* an unknown alias stops the walk quietly after what it found */
    assert_int_equal(tmpl_yaml_locate(yaml, strlen(yaml), q, ARRAY_SIZE(q)), 0);
    assert_int_equal(q[0].line, 2);
    assert_int_equal(q[0].column, 10);
    assert_string_equal(q[0].scalar, "1.10");
    assert_int_equal(q[1].line, 3);
    assert_string_equal(q[1].scalar, "7");
    assert_int_equal(q[2].line, 2);
    assert_null(q[2].scalar);
    assert_int_equal(q[3].line, 0);
    for (size_t i = 0; i < ARRAY_SIZE(q); i++)
        free(q[i].scalar);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_workflow_tinkerbell_examples),
            cmocka_unit_test(test_workflow_render_errors_name_the_key),
            cmocka_unit_test(test_workflow_decoding_like_yaml_v3),
            cmocka_unit_test(test_workflow_validation_rules),
            cmocka_unit_test(test_workflow_arguments_checked),
            cmocka_unit_test(test_workflow_image_references),
            cmocka_unit_test(test_workflow_locate_finds_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
