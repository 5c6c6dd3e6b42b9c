/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/workflow render cost: renders a realistic Tinkerbell template with
 * Hardware data N times (mode "render"), or only parses the same rendered
 * YAML N times (mode "parse"), so callgrind's instruction counts of the two
 * runs give the cost of the template language beside YAML parsing alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tmpl/tmpl.h"
#include "workflow/workflow.h"

static const char template_text[] =
        "version: \"0.1\"\n"
        "name: debian\n"
        "global_timeout: 1800\n"
        "tasks:\n"
        "  - name: os-installation\n"
        "    worker: \"{{.device_1}}\"\n"
        "    volumes: [\"/dev:/dev\", \"/dev/console:/dev/console\"]\n"
        "    actions:\n"
        "      - name: stream-image\n"
        "        image: quay.io/tinkerbell/actions/image2disk:latest\n"
        "        timeout: 600\n"
        "        environment:\n"
        "          DEST_DISK: {{ index .Hardware.Disks 0 }}\n"
        "          IMG_URL: http://10.1.1.1:8080/debian-12.raw.gz\n"
        "          COMPRESSED: true\n"
        "      - name: write-netplan\n"
        "        image: quay.io/tinkerbell/actions/writefile:latest\n"
        "        environment:\n"
        "          DEST_DISK: {{ formatPartition (index .Hardware.Disks 0) 1 }}\n"
        "          DEST_PATH: /etc/hostname\n"
        "          CONTENTS: {{ (index .Hardware.Interfaces 0).DHCP.Hostname | quote }}\n"
        "          MODE: \"0644\"\n"
        "      - name: kexec\n"
        "        image: quay.io/tinkerbell/actions/kexec:latest\n"
        "        pid: host\n"
        "        environment:\n"
        "          BLOCK_DEVICE: {{ formatPartition (index .Hardware.Disks 0) 1 }}\n"
        "          FS_TYPE: ext4\n";

static const char hardware_text[] =
        "{\"metadata\":{\"name\":\"sm01\",\"namespace\":\"default\"},\"spec\":{\"disks\":[{"
        "\"device\":\"/dev/nvme0n1\"}],\"interfaces\":[{\"dhcp\":{\"mac\":\"3c:ec:ef:4c:4f:54\","
        "\"hostname\":\"sm01\",\"ip\":{\"address\":\"10.1.1.11\",\"netmask\":\"255.255.255.0\","
        "\"gateway\":\"10.1.1.1\"}},\"netboot\":{\"allowPXE\":true,\"allowWorkflow\":true}}]}}";

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: render render|parse N\n");
        return 2;
    }
    int n = atoi(argv[2]);
    json_t *hw = json_loads(hardware_text, 0, NULL);
    json_t *map = json_pack("{s:s}", "device_1", "3c:ec:ef:4c:4f:54");
    json_t *data = NULL;
    if (!hw || !map || workflow_template_data(hw, map, &data) < 0)
        return 1;
    char *rendered = NULL;
    size_t len = 0;
    struct tmpl_error e;
    if (tmpl_render("debian", template_text, strlen(template_text), data, &rendered, &len, &e) < 0) {
        fprintf(stderr, "render: %s\n", e.message);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        json_t *doc = NULL;
        if (strcmp(argv[1], "render") == 0) {
            char *out = NULL;
            size_t olen;
            if (tmpl_render("debian", template_text, strlen(template_text), data, &out, &olen,
                            &e) < 0 ||
                tmpl_parse_workflow(out, olen, &doc, &e) < 0)
                return 1;
            free(out);
        } else if (tmpl_parse_workflow(rendered, len, &doc, &e) < 0) {
            return 1;
        }
        json_decref(doc);
    }
    free(rendered);
    json_decref(data);
    json_decref(map);
    json_decref(hw);
    return 0;
}
