/* SPDX-License-Identifier: Apache-2.0 */
/* The controller steps of the state machine, one table row per transition. */
#include "workflow/workflow-test.h"

#define META "'metadata':{'name':'wf1','namespace':'ns','creationTimestamp':'2024-01-01T00:00:00Z'}"
#define META_RERUN(tok) \
    "'metadata':{'name':'wf1','namespace':'ns','annotations':{'anvil.dev/rerun':'" tok "'}}"
#define SPEC(x)                 "'spec':{'templateRef':'tpl','hardwareRef':'hw1'" x "}"
#define WF(spec, status)        "{" META "," spec ",'status':" status "}"
#define WFM(meta, spec, status) "{" meta "," spec ",'status':" status "}"
#define TOGGLE                  ",'bootOptions':{'toggleAllowNetboot':true}"
#define BOOT(mode)              ",'bootOptions':{'bootMode':'" mode "'}"
#define ISO                     ",'bootOptions':{'bootMode':'isoboot','isoURL':'http://b/iso/hook.iso'}"
/* One task on agent A with one action in the given state. */
#define ONE_TASK(astate, extra)                                                                   \
    "'tasks':[{'id':'t0','name':'os','agentID':'A','actions':[{'id':'a0','name':'s','image':'i'," \
    "'timeout':60,'state':'" astate "'" extra "}]}]"
#define HW "{'metadata':{'name':'hw1'},'spec':{'interfaces':[{'dhcp':{'mac':'aa'}}]}}"

static const char *const rendered =
        "{'name':'wf','version':'0.1','global_timeout':1800,'tasks':["
        "{'name':'os','worker':'aa:bb','volumes':['/dev:/dev'],'environment':{'A':'1'},'actions':["
        " {'name':'stream','image':'img2disk:v1','timeout':600,'command':[],'volumes':[],"
        "  'environment':{'DEST':'/dev/sda'},'pid':null,'namespaces':{},'retries':0},"
        " {'name':'kexec','image':'kexec:v1','timeout':90,'command':['a'],'volumes':[],"
        "  'environment':{},'pid':'host','namespaces':{'pid':'host'},'retries':2}]},"
        "{'name':'second','worker':'cc:dd','volumes':[],'environment':{},'actions':["
        " {'name':'x','image':'x:1','timeout':0,'command':[],'volumes':[],'environment':{},"
        "  'pid':null,'namespaces':{},'retries':0}]}]}";

struct check {
    const char *path; /* in the resulting status */
    const char *want; /* JSON (with '), NULL = absent, "<ulid>" */
};

struct rc_case {
    const char *name;
    const char *wf;
    const char *hardware;
    bool render;              /* pass the rendered document */
    const char *rendered_doc; /* another document instead of `rendered` */
    const char *render_error;
    bool bmc;
    enum workflow_job_state job;
    int64_t now; /* 0: TEST_NOW */
    bool changed;
    unsigned effects;
    int64_t requeue; /* -1: not checked */
    enum workflow_boot_job boot_job;
    const char *events;
    struct check checks[10];
};

#define E_PXE_T WORKFLOW_EFFECT_ALLOW_PXE_TRUE
#define E_PXE_F WORKFLOW_EFFECT_ALLOW_PXE_FALSE
#define E_JOB   WORKFLOW_EFFECT_BOOT_JOB
#define E_REQ   WORKFLOW_EFFECT_REQUEUE
#define E_BO    WORKFLOW_EFFECT_BACKOFF

static const struct rc_case rc_cases[] = {
        /* ---- "" -> render ---- */
        {.name = "new renders to PENDING",
         .wf = WF(SPEC(""), "{}"),
         .render = true,
         .changed = true,
         .events = "TemplateRendered",
         .checks = {{"state", "'PENDING'"},
                    {"templateRendering", "'successful'"},
                    {"agentID", "'aa:bb'"},
                    {"globalTimeout", "1800"},
                    {"conditions.0.type", "'TemplateRenderedSuccess'"},
                    {"conditions.0.status", "'True'"},
                    {"conditions.0.reason", "'Complete'"},
                    {"conditions.0.message", "'template rendered successfully'"},
                    {"conditions.0.time", "'2024-05-01T12:00:00Z'"},
                    {"currentState", NULL}}},
        {.name = "new renders tasks and actions",
         .wf = WF(SPEC(""), "{}"),
         .render = true,
         .changed = true,
         .events = "TemplateRendered",
         .checks = {{"tasks.0.id", "<ulid>"},
                    {"tasks.0.name", "'os'"},
                    {"tasks.0.actions.0.id", "<ulid>"},
                    {"tasks.0.actions.0.state", "'PENDING'"},
                    {"tasks.0.actions.0.environment", "{'DEST':'/dev/sda'}"},
                    {"tasks.0.actions.1.pid", "'host'"},
                    {"tasks.0.actions.1.retries", "2"},
                    {"tasks.0.actions.0.retries", NULL},
                    {"tasks.1.agentID", "'cc:dd'"},
                    {"tasks.0.volumes", "['/dev:/dev']"}}},
        {.name = "new with toggle goes PREPARING",
         .wf = WF(SPEC(TOGGLE), "{}"),
         .render = true,
         .changed = true,
         .effects = E_REQ,
         .events = "TemplateRendered",
         .checks = {{"state", "'PREPARING'"}}},
        {.name = "new with bootMode goes PREPARING",
         .wf = WF(SPEC(BOOT("netboot")), "{}"),
         .render = true,
         .changed = true,
         .effects = E_REQ,
         .events = "TemplateRendered",
         .checks = {{"state", "'PREPARING'"}}},
        {.name = "new without status renders",
         .wf = "{" META "," SPEC("") "}",
         .render = true,
         .changed = true,
         .events = "TemplateRendered",
         .checks = {{"state", "'PENDING'"}}},
        {.name = "render error",
         .wf = WF(SPEC(""), "{}"),
         .render_error = "template not found",
         .changed = true,
         .effects = E_BO,
         .events = "TemplateRenderFailed",
         .checks = {{"state", NULL},
                    {"templateRendering", "'failed'"},
                    {"conditions.0.type", "'TemplateRenderedSuccess'"},
                    {"conditions.0.status", "'False'"},
                    {"conditions.0.reason", "'Error'"},
                    {"conditions.0.message", "'template not found'"}}},
        {.name = "render error again changes nothing",
         .wf = WF(SPEC(""),
                  "{'templateRendering':'failed','conditions':[{'type':'TemplateRenderedSuccess',"
                  "'status':'False','reason':'Error','message':'template not found',"
                  "'time':'2024-01-01T00:00:00Z'}]}"),
         .render_error = "template not found",
         .effects = E_BO,
         .checks = {{"conditions.0.time", "'2024-01-01T00:00:00Z'"}}},
        {.name = "render error with a new message updates the condition",
         .wf = WF(SPEC(""),
                  "{'templateRendering':'failed','conditions':[{'type':'TemplateRenderedSuccess',"
                  "'status':'False','reason':'Error','message':'old',"
                  "'time':'2024-01-01T00:00:00Z'}]}"),
         .render_error = "new",
         .changed = true,
         .effects = E_BO,
         .events = "TemplateRenderFailed",
         .checks = {{"conditions.0.message", "'new'"},
                    {"conditions.0.time", "'2024-05-01T12:00:00Z'"}}},
        {.name = "render error with ill-formed UTF-8 is scrubbed",
         .wf = WF(SPEC(""), "{}"),
         .render_error = "bad \xc3 byte \xff",
         .changed = true,
         .effects = E_BO,
         .events = "TemplateRenderFailed",
         .checks = {{"conditions.0.message", "'bad ? byte ?'"}}},
        {.name = "malformed rendered document: no tasks",
         .wf = WF(SPEC(""), "{}"),
         .render = true,
         .rendered_doc = "{'name':'x','tasks':[]}",
         .changed = true,
         .effects = E_BO,
         .events = "TemplateRenderFailed",
         .checks = {{"templateRendering", "'failed'"},
                    {"conditions.0.message",
                     "'rendered template is malformed: rendered template has no tasks'"}}},
        {.name = "malformed rendered document: empty worker",
         .wf = WF(SPEC(""), "{}"),
         .render = true,
         .rendered_doc = "{'tasks':[{'name':'t','worker':'','actions':[]}]}",
         .changed = true,
         .effects = E_BO,
         .events = "TemplateRenderFailed",
         .checks = {{"conditions.0.message",
                     "'rendered template is malformed: task t: worker is empty'"}}},
        {.name = "malformed rendered document: bad retries",
         .wf = WF(SPEC(""), "{}"),
         .render = true,
         .rendered_doc = "{'tasks':[{'name':'t','worker':'w','actions':[{'name':'a','image':'i','"
                         "retries':-1}]}]}",
         .changed = true,
         .effects = E_BO,
         .events = "TemplateRenderFailed",
         .checks = {{"conditions.0.message",
                     "'rendered template is malformed: task t: action a: retries "
                     "must be an integer 0..100'"}}},
        {.name = "malformed rendered document: command not strings",
         .wf = WF(SPEC(""), "{}"),
         .render = true,
         .rendered_doc = "{'tasks':[{'name':'t','worker':'w','actions':[{'name':'a','image':'i','"
                         "command':[1]}]}]}",
         .changed = true,
         .effects = E_BO,
         .events = "TemplateRenderFailed",
         .checks = {{"templateRendering", "'failed'"}}},
        {.name = "malformed rendered document: not an object",
         .wf = WF(SPEC(""), "{}"),
         .render = true,
         .rendered_doc = "[1]",
         .changed = true,
         .effects = E_BO,
         .events = "TemplateRenderFailed",
         .checks = {{"conditions.0.message",
                     "'rendered template is malformed: rendered template is not an object'"}}},
        {.name = "legacy STATE_PENDING re-renders",
         .wf = WF(SPEC(""),
                  "{'state':'STATE_PENDING','templateRending':'successful','currentAction':'x',"
                  "'tasks':[{'name':'os','worker':'aa:bb','actions':[]}]}"),
         .render = true,
         .changed = true,
         .events = "TemplateRendered",
         .checks = {{"state", "'PENDING'"},
                    {"templateRending", NULL},
                    {"currentAction", NULL},
                    {"tasks.0.worker", NULL},
                    {"tasks.0.agentID", "'aa:bb'"}}},
        {.name = "legacy STATE_RUNNING re-renders",
         .wf = WF(SPEC(""), "{'state':'STATE_RUNNING'}"),
         .render = true,
         .changed = true,
         .events = "TemplateRendered",
         .checks = {{"state", "'PENDING'"}}},
        {.name = "legacy render error keeps the legacy state",
         .wf = WF(SPEC(""), "{'state':'STATE_PENDING'}"),
         .render_error = "boom",
         .changed = true,
         .effects = E_BO,
         .events = "TemplateRenderFailed",
         .checks = {{"state", "'STATE_PENDING'"}, {"templateRendering", "'failed'"}}},
        {.name = "legacy STATE_SUCCESS is terminal",
         .wf = WF(SPEC(""), "{'state':'STATE_SUCCESS'}"),
         .render = true,
         .checks = {{"state", "'STATE_SUCCESS'"}}},
        {.name = "unknown state is left alone",
         .wf = WF(SPEC(""), "{'state':'WEIRD'}"),
         .render = true,
         .checks = {{"state", "'WEIRD'"}}},
        /* ---- spec.disabled ---- */
        {.name = "disabled sets only agentID",
         .wf = WF(SPEC(",'disabled':true"), "{}"),
         .render = true,
         .changed = true,
         .checks =
                 {{"agentID", "'aa:bb'"}, {"state", NULL}, {"tasks", NULL}, {"conditions", NULL}}},
        {.name = "disabled with a render error changes nothing",
         .wf = WF(SPEC(",'disabled':true"), "{}"),
         .render_error = "boom",
         .checks = {{"agentID", NULL}}},
        {.name = "disabled running workflow is frozen",
         .wf = WF(
                 SPEC(",'disabled':true"),
                 "{'state':'RUNNING','globalTimeout':1,'globalExecutionStop':'2024-01-01T00:00:00Z'"
                 "," ONE_TASK("RUNNING", ",'executionStart':'2024-01-01T00:00:00Z'") "}"),
         .checks = {{"state", "'RUNNING'"}}},
        /* ---- PREPARING ---- */
        {.name = "preparing toggles allowPXE then PENDING",
         .wf = WF(SPEC(TOGGLE), "{'state':'PREPARING'," ONE_TASK("PENDING", "") "}"),
         .hardware = HW,
         .changed = true,
         .effects = E_PXE_T,
         .events = "AllowNetbootTrue",
         .checks = {{"state", "'PENDING'"},
                    {"bootOptions.allowNetboot.toggledTrue", "true"},
                    {"conditions.0.type", "'AllowNetbootTrue'"},
                    {"conditions.0.status", "'True'"},
                    {"conditions.0.reason", "'Complete'"},
                    {"conditions.0.message", "'set allowPXE to true'"}}},
        {.name = "preparing toggle without Hardware fails",
         .wf = WF(SPEC(TOGGLE), "{'state':'PREPARING'," ONE_TASK("PENDING", "") "}"),
         .changed = true,
         .events = "AllowNetbootFailed",
         .checks = {{"state", "'FAILED'"},
                    {"conditions.0.type", "'AllowNetbootTrue'"},
                    {"conditions.0.status", "'False'"},
                    {"conditions.0.message",
                     "'error setting allowPXE to true: hardware hw1 not found'"}}},
        {.name = "preparing already toggled goes PENDING",
         .wf = WF(SPEC(TOGGLE),
                  "{'state':'PREPARING','bootOptions':{'allowNetboot':{'toggledTrue':true}}"
                  "," ONE_TASK("PENDING", "") "}"),
         .hardware = HW,
         .changed = true,
         .checks = {{"state", "'PENDING'"}}},
        {.name = "preparing bootMode without BMC stays",
         .wf = WF(SPEC(BOOT("netboot")), "{'state':'PREPARING'," ONE_TASK("PENDING", "") "}"),
         .hardware = HW,
         .changed = true,
         .events = "BootModeNeedsBMC",
         .checks = {{"state", "'PREPARING'"},
                    {"conditions.0.type", "'BootJobSetupFailed'"},
                    {"conditions.0.status", "'True'"},
                    {"conditions.0.reason", "'BMCUnavailable'"}}},
        {.name = "preparing bootMode without BMC again changes nothing",
         .wf = WF(SPEC(BOOT("netboot")),
                  "{'state':'PREPARING','conditions':[{'type':'BootJobSetupFailed','status':'True',"
                  "'reason':'BMCUnavailable','message':'bootMode needs the BMC job netboot-wf1 "
                  "(bmc.tinkerbell.org), which is not available; the Workflow stays PREPARING',"
                  "'time':'2024-01-01T00:00:00Z'}]," ONE_TASK("PENDING", "") "}"),
         .hardware = HW,
         .checks = {{"state", "'PREPARING'"}}},
        {.name = "preparing bootMode with BMC creates the job",
         .wf = WF(SPEC(BOOT("netboot")), "{'state':'PREPARING'," ONE_TASK("PENDING", "") "}"),
         .hardware = HW,
         .bmc = true,
         .job = WORKFLOW_JOB_ABSENT,
         .changed = true,
         .effects = E_JOB,
         .requeue = WORKFLOW_BOOT_JOB_POLL_MS,
         .boot_job = WORKFLOW_BOOT_JOB_NETBOOT,
         .checks = {{"state", "'PREPARING'"},
                    {"conditions.0.type", "'BootJobRunning'"},
                    {"conditions.0.reason", "'Created'"},
                    {"conditions.0.message", "'job netboot-wf1 created'"}}},
        {.name = "preparing toggle and job in one step",
         .wf = WF(SPEC(",'bootOptions':{'toggleAllowNetboot':true,'bootMode':'netboot'}"),
                  "{'state':'PREPARING'," ONE_TASK("PENDING", "") "}"),
         .hardware = HW,
         .bmc = true,
         .job = WORKFLOW_JOB_ABSENT,
         .changed = true,
         .effects = E_PXE_T | E_JOB,
         .requeue = WORKFLOW_BOOT_JOB_POLL_MS,
         .boot_job = WORKFLOW_BOOT_JOB_NETBOOT,
         .events = "AllowNetbootTrue",
         .checks = {{"state", "'PREPARING'"}, {"bootOptions.allowNetboot.toggledTrue", "true"}}},
        {.name = "preparing job running waits",
         .wf = WF(SPEC(BOOT("netboot")), "{'state':'PREPARING'," ONE_TASK("PENDING", "") "}"),
         .hardware = HW,
         .bmc = true,
         .job = WORKFLOW_JOB_RUNNING,
         .changed = true,
         .requeue = WORKFLOW_BOOT_JOB_POLL_MS,
         .checks = {{"state", "'PREPARING'"}, {"conditions.0.reason", "'Running'"}}},
        {.name = "preparing job complete goes PENDING",
         .wf = WF(SPEC(BOOT("netboot")), "{'state':'PREPARING'," ONE_TASK("PENDING", "") "}"),
         .hardware = HW,
         .bmc = true,
         .job = WORKFLOW_JOB_COMPLETE,
         .changed = true,
         .checks = {{"state", "'PENDING'"},
                    {"bootOptions.jobs.netboot-wf1.complete", "true"},
                    {"conditions.0.type", "'BootJobComplete'"}}},
        {.name = "preparing job recorded complete goes PENDING",
         .wf = WF(SPEC(BOOT("netboot")),
                  "{'state':'PREPARING','bootOptions':{'jobs':{'netboot-wf1':"
                  "{'complete':true}}}," ONE_TASK("PENDING", "") "}"),
         .hardware = HW,
         .bmc = true,
         .job = WORKFLOW_JOB_ABSENT,
         .changed = true,
         .checks = {{"state", "'PENDING'"}}},
        {.name = "preparing job failed fails",
         .wf = WF(SPEC(BOOT("netboot")), "{'state':'PREPARING'," ONE_TASK("PENDING", "") "}"),
         .hardware = HW,
         .bmc = true,
         .job = WORKFLOW_JOB_FAILED,
         .changed = true,
         .events = "BootJobFailed",
         .checks = {{"state", "'FAILED'"}, {"conditions.0.type", "'BootJobFailed'"}}},
        {.name = "preparing iso mounts",
         .wf = WF(SPEC(ISO), "{'state':'PREPARING'," ONE_TASK("PENDING", "") "}"),
         .hardware = HW,
         .bmc = true,
         .job = WORKFLOW_JOB_ABSENT,
         .changed = true,
         .effects = E_JOB,
         .requeue = -1,
         .boot_job = WORKFLOW_BOOT_JOB_ISO_MOUNT,
         .checks = {{"state", "'PREPARING'"}}},
        {.name = "preparing iso without isoURL fails",
         .wf = WF(SPEC(BOOT("iso")), "{'state':'PREPARING'," ONE_TASK("PENDING", "") "}"),
         .hardware = HW,
         .bmc = true,
         .job = WORKFLOW_JOB_ABSENT,
         .changed = true,
         .events = "BootJobFailed",
         .checks = {{"state", "'FAILED'"},
                    {"conditions.0.message", "'bootMode iso needs bootOptions.isoURL'"}}},
        {.name = "preparing customboot without preparingActions goes PENDING",
         .wf = WF(SPEC(BOOT("customboot")), "{'state':'PREPARING'," ONE_TASK("PENDING", "") "}"),
         .hardware = HW,
         .changed = true,
         .checks = {{"state", "'PENDING'"}}},
        {.name = "preparing customboot with preparingActions needs a job",
         .wf = WF(SPEC(",'bootOptions':{'bootMode':'customboot','custombootConfig':{'"
                       "preparingActions':"
                       "[{'powerAction':'off'}]}}"),
                  "{'state':'PREPARING'," ONE_TASK("PENDING", "") "}"),
         .hardware = HW,
         .bmc = true,
         .job = WORKFLOW_JOB_ABSENT,
         .changed = true,
         .effects = E_JOB,
         .requeue = -1,
         .boot_job = WORKFLOW_BOOT_JOB_CUSTOMBOOT_PREPARING,
         .checks = {{"state", "'PREPARING'"}}},
        {.name = "preparing unknown bootMode fails",
         .wf = WF(SPEC(BOOT("floppy")), "{'state':'PREPARING'," ONE_TASK("PENDING", "") "}"),
         .hardware = HW,
         .bmc = true,
         .changed = true,
         .events = "BootJobFailed",
         .checks = {{"state", "'FAILED'"}}},
        {.name = "preparing without boot options goes PENDING",
         .wf = WF(SPEC(""), "{'state':'PREPARING'," ONE_TASK("PENDING", "") "}"),
         .changed = true,
         .checks = {{"state", "'PENDING'"}}},
        /* ---- PENDING ---- */
        {.name = "pending does nothing",
         .wf = WF(SPEC(TOGGLE), "{'state':'PENDING'," ONE_TASK("PENDING", "") "}"),
         .hardware = HW,
         .checks = {{"state", "'PENDING'"}}},
        /* ---- RUNNING ---- */
        {.name = "running arms the global deadline with skew",
         .wf = WF(SPEC(""),
                  "{'state':'RUNNING','globalTimeout':600,'agentID':'A'," ONE_TASK(
                          "RUNNING", ",'executionStart':'2024-05-01T11:59:50Z'") "}"),
         .changed = true,
         .requeue = 80001,
         .checks = {{"globalExecutionStop", "'2024-05-01T12:10:10Z'"}, {"state", "'RUNNING'"}}},
        {.name = "running agent clock ahead adds no skew",
         .wf = WF(SPEC(""),
                  "{'state':'RUNNING','globalTimeout':600,'agentID':'A'," ONE_TASK(
                          "SUCCESS", ",'executionStart':'2024-05-01T12:05:00Z'") "}"),
         .changed = true,
         .effects = E_REQ,
         .requeue = -1,
         .checks = {{"globalExecutionStop", "'2024-05-01T12:10:00Z'"}, {"state", "'POST'"}}},
        {.name = "running before the deadline requeues for it",
         .wf = WF(SPEC(""),
                  "{'state':'RUNNING','globalTimeout':600,'agentID':'A','globalExecutionStop':"
                  "'2024-05-01T12:00:10Z'," ONE_TASK("PENDING", "") "}"),
         .requeue = 10001,
         .checks = {{"state", "'RUNNING'"}}},
        {.name = "running past the global deadline times out",
         .wf = WF(SPEC(""),
                  "{'state':'RUNNING','globalTimeout':600,'agentID':'A','globalExecutionStop':"
                  "'2024-05-01T11:59:59Z'," ONE_TASK("RUNNING", "") "}"),
         .changed = true,
         .events = "GlobalTimeout",
         .checks = {{"state", "'TIMEOUT'"}, {"tasks.0.actions.0.state", "'RUNNING'"}}},
        {.name = "running global timeout 0 sets no deadline",
         .wf = WF(SPEC(""),
                  "{'state':'RUNNING','globalTimeout':0,'agentID':'A'," ONE_TASK(
                          "RUNNING", ",'executionStart':'2024-05-01T11:59:50Z'") "}"),
         .requeue = 80001,
         .checks = {{"globalExecutionStop", NULL}}},
        {.name = "running action past timeout and grace times out",
         .wf = WF(SPEC(""),
                  "{'state':'RUNNING','agentID':'A'," ONE_TASK(
                          "RUNNING", ",'executionStart':'2024-05-01T11:58:00Z'") "}"),
         .changed = true,
         .events = "ActionTimeout",
         .checks = {{"state", "'TIMEOUT'"},
                    {"tasks.0.actions.0.state", "'TIMEOUT'"},
                    {"tasks.0.actions.0.message",
                     "'no report from the agent within the action timeout of 60s'"},
                    {"currentState",
                     "{'agentID':'A','taskID':'t0','actionID':'a0','state':'TIMEOUT',"
                     "'actionName':'s','taskName':'os'}"}}},
        {.name = "running action within grace waits",
         .wf = WF(SPEC(""),
                  "{'state':'RUNNING','agentID':'A'," ONE_TASK(
                          "RUNNING", ",'executionStart':'2024-05-01T11:58:45Z'") "}"),
         .requeue = 15001,
         .checks = {{"tasks.0.actions.0.state", "'RUNNING'"}}},
        {.name = "running action timeout with retries left is retried",
         .wf = WF(SPEC(""),
                  "{'state':'RUNNING','agentID':'A'," ONE_TASK(
                          "RUNNING", ",'retries':1,'executionStart':'2024-05-01T11:58:00Z'") "}"),
         .changed = true,
         .events = "ActionRetry",
         .checks = {{"state", "'RUNNING'"},
                    {"tasks.0.actions.0.state", "'PENDING'"},
                    {"tasks.0.actions.0.id", "<ulid>"},
                    {"tasks.0.actions.0.attempts", "1"},
                    {"tasks.0.actions.0.executionStart", NULL},
                    {"tasks.0.actions.0.message",
                     "'attempt 1 of 2 ended TIMEOUT: no report from the agent "
                     "within the action timeout of 60s'"},
                    {"currentState.actionID", "<ulid>"},
                    {"currentState.state", "'PENDING'"}}},
        {.name = "running action timeout 0 means one hour: not yet",
         .wf = WF(SPEC(""),
                  "{'state':'RUNNING','agentID':'A','tasks':[{'id':'t0','name':'os','agentID':"
                  "'A','actions':[{'id':'a0','name':'s','image':'i','timeout':0,'state':"
                  "'RUNNING','executionStart':'2024-05-01T11:00:00Z'}]}]}"),
         .requeue = 30001,
         .checks = {{"state", "'RUNNING'"}}},
        {.name = "running action timeout 0 means one hour: passed",
         .wf = WF(SPEC(""),
                  "{'state':'RUNNING','agentID':'A','tasks':[{'id':'t0','name':'os','agentID':"
                  "'A','actions':[{'id':'a0','name':'s','image':'i','timeout':0,'state':"
                  "'RUNNING','executionStart':'2024-05-01T10:59:00Z'}]}]}"),
         .changed = true,
         .events = "ActionTimeout",
         .checks = {{"state", "'TIMEOUT'"},
                    {"tasks.0.actions.0.message",
                     "'no report from the agent within the action timeout of 3600s'"}}},
        {.name = "running status.agentID follows the current task",
         .wf = WF(SPEC(""),
                  "{'state':'RUNNING','agentID':'A','tasks':["
                  "{'id':'t0','name':'os','agentID':'A','actions':[{'id':'a0','state':'SUCCESS'}]},"
                  "{'id':'t1','name':'b','agentID':'B','actions':[{'id':'a1','state':'PENDING'}]}]"
                  "}"),
         .changed = true,
         .checks = {{"agentID", "'B'"}}},
        {.name = "running with every action succeeded goes POST",
         .wf = WF(SPEC(""), "{'state':'RUNNING','agentID':'A'," ONE_TASK("SUCCESS", "") "}"),
         .changed = true,
         .effects = E_REQ,
         .checks = {{"state", "'POST'"}}},
        {.name = "running without tasks does nothing",
         .wf = WF(SPEC(""), "{'state':'RUNNING'}"),
         .checks = {{"state", "'RUNNING'"}}},
        /* ---- POST ---- */
        {.name = "post copies currentState.state",
         .wf = WF(
                 SPEC(""),
                 "{'state':'POST','currentState':{'state':'SUCCESS'}," ONE_TASK("SUCCESS", "") "}"),
         .changed = true,
         .events = "Succeeded",
         .checks = {{"state", "'SUCCESS'"}}},
        {.name = "post without currentState succeeds",
         .wf = WF(SPEC(""), "{'state':'POST'," ONE_TASK("SUCCESS", "") "}"),
         .changed = true,
         .events = "Succeeded",
         .checks = {{"state", "'SUCCESS'"}}},
        {.name = "post toggles allowPXE off",
         .wf = WF(SPEC(TOGGLE),
                  "{'state':'POST','bootOptions':{'allowNetboot':{'toggledTrue':true}},"
                  "'currentState':{'state':'SUCCESS'}," ONE_TASK("SUCCESS", "") "}"),
         .hardware = HW,
         .changed = true,
         .effects = E_PXE_F,
         .events = "AllowNetbootFalse,Succeeded",
         .checks = {{"state", "'SUCCESS'"},
                    {"bootOptions.allowNetboot", "{'toggledTrue':true,'toggledFalse':true}"},
                    {"conditions.0.type", "'AllowNetbootFalse'"},
                    {"conditions.0.message", "'set allowPXE to false'"}}},
        {.name = "post toggle without Hardware fails",
         .wf = WF(SPEC(TOGGLE), "{'state':'POST'," ONE_TASK("SUCCESS", "") "}"),
         .changed = true,
         .events = "AllowNetbootFailed",
         .checks = {{"state", "'FAILED'"}, {"conditions.0.status", "'False'"}}},
        {.name = "post iso without BMC skips the eject job",
         .wf = WF(SPEC(ISO), "{'state':'POST'," ONE_TASK("SUCCESS", "") "}"),
         .hardware = HW,
         .changed = true,
         .events = "Succeeded",
         .checks = {{"state", "'SUCCESS'"}, {"conditions.0.type", "'BootJobSetupFailed'"}}},
        {.name = "post iso with BMC ejects first",
         .wf = WF(SPEC(ISO), "{'state':'POST'," ONE_TASK("SUCCESS", "") "}"),
         .hardware = HW,
         .bmc = true,
         .job = WORKFLOW_JOB_ABSENT,
         .changed = true,
         .effects = E_JOB,
         .requeue = WORKFLOW_BOOT_JOB_POLL_MS,
         .boot_job = WORKFLOW_BOOT_JOB_ISO_EJECT,
         .checks = {{"state", "'POST'"}}},
        {.name = "post iso eject complete succeeds",
         .wf = WF(SPEC(ISO), "{'state':'POST'," ONE_TASK("SUCCESS", "") "}"),
         .hardware = HW,
         .bmc = true,
         .job = WORKFLOW_JOB_COMPLETE,
         .changed = true,
         .events = "Succeeded",
         .checks = {{"state", "'SUCCESS'"}, {"bootOptions.jobs.iso-eject-wf1.complete", "true"}}},
        {.name = "post eject failed fails",
         .wf = WF(SPEC(ISO), "{'state':'POST'," ONE_TASK("SUCCESS", "") "}"),
         .hardware = HW,
         .bmc = true,
         .job = WORKFLOW_JOB_FAILED,
         .changed = true,
         .events = "BootJobFailed",
         .checks = {{"state", "'FAILED'"}}},
        /* ---- terminal ---- */
        {.name = "success never moves",
         .wf = WF(SPEC(TOGGLE),
                  "{'state':'SUCCESS','globalExecutionStop':'2000-01-01T00:00:00Z'," ONE_TASK(
                          "RUNNING", ",'executionStart':'2000-01-01T00:00:00Z'") "}"),
         .hardware = HW,
         .render = true,
         .bmc = true,
         .job = WORKFLOW_JOB_FAILED,
         .checks = {{"state", "'SUCCESS'"}}},
        {.name = "failed never moves",
         .wf = WF(SPEC(""), "{'state':'FAILED'," ONE_TASK("FAILED", "") "}"),
         .hardware = HW,
         .render = true,
         .checks = {{"state", "'FAILED'"}}},
        {.name = "timeout never moves",
         .wf = WF(SPEC(""), "{'state':'TIMEOUT'," ONE_TASK("SUCCESS", "") "}"),
         .hardware = HW,
         .render = true,
         .checks = {{"state", "'TIMEOUT'"}}},
        /* ---- re-run ---- */
        {.name = "rerun token resets a finished workflow",
         .wf = WFM(META_RERUN("1"),
                   SPEC(""),
                   "{'state':'SUCCESS','templateRendering':'successful'," ONE_TASK("SUCCESS",
                                                                                   "") "}"),
         .render = true,
         .changed = true,
         .events = "Rerun,TemplateRendered",
         .checks = {{"state", "'PENDING'"},
                    {"tasks.0.id", "<ulid>"},
                    {"tasks.0.actions.0.state", "'PENDING'"},
                    {"conditions.0.type", "'TemplateRenderedSuccess'"},
                    {"conditions.1.type", "'Rerun'"},
                    {"conditions.1.status", "'True'"},
                    {"conditions.1.reason", "'TokenAccepted'"},
                    {"conditions.1.message", "'1'"}}},
        {.name = "rerun token resets a running workflow",
         .wf = WFM(META_RERUN("x"),
                   SPEC(""),
                   "{'state':'RUNNING','agentID':'A'," ONE_TASK("RUNNING", "") "}"),
         .render = true,
         .changed = true,
         .events = "Rerun,TemplateRendered",
         .checks = {{"state", "'PENDING'"},
                    {"tasks.0.agentID", "'aa:bb'"},
                    {"conditions.1.message", "'x'"}}},
        {.name = "rerun with the recorded token changes nothing",
         .wf = WFM(META_RERUN("1"),
                   SPEC(""),
                   "{'state':'SUCCESS','conditions':[{'type':'Rerun','status':'True','reason':"
                   "'TokenAccepted','message':'1','time':'2024-01-01T00:00:00Z'}]}"),
         .checks = {{"state", "'SUCCESS'"}}},
        {.name = "rerun with a new token resets again",
         .wf = WFM(META_RERUN("2"),
                   SPEC(""),
                   "{'state':'SUCCESS','conditions':[{'type':'Rerun','status':'True','reason':"
                   "'TokenAccepted','message':'1','time':'2024-01-01T00:00:00Z'}]}"),
         .render = true,
         .changed = true,
         .events = "Rerun,TemplateRendered",
         .checks = {{"state", "'PENDING'"}, {"conditions.1.message", "'2'"}}},
        {.name = "rerun render error consumes the token and clears the old run",
         .wf = WFM(META_RERUN("1"),
                   SPEC(""),
                   "{'state':'FAILED','agentID':'A'," ONE_TASK("FAILED", "") "}"),
         .render_error = "template not found",
         .changed = true,
         .effects = E_BO,
         .events = "Rerun,TemplateRenderFailed",
         .checks = {{"state", NULL},
                    {"tasks", NULL},
                    {"agentID", NULL},
                    {"templateRendering", "'failed'"},
                    {"conditions.0.type", "'Rerun'"},
                    {"conditions.0.message", "'1'"},
                    {"conditions.1.type", "'TemplateRenderedSuccess'"}}},
        {.name = "rerun token on a new workflow is recorded without a Rerun event",
         .wf = WFM(META_RERUN("1"), SPEC(""), "{}"),
         .render = true,
         .changed = true,
         .events = "TemplateRendered",
         .checks = {{"state", "'PENDING'"}, {"conditions.1.message", "'1'"}}},
        {.name = "rerun token too long is refused",
         .wf = WFM(
                 META_RERUN(
                         "0123456789012345678901234567890123456789012345678901234567890123456789"
                         "0123456789012345678901234567890123456789012345678901234567890123456789"
                         "0123456789012345678901234567890123456789012345678901234567890123456789"
                         "0123456789012345678901234567890123456789012345678901234567890123456789"),
                 SPEC(""),
                 "{'state':'SUCCESS'}"),
         .changed = true,
         .events = "RerunIgnored",
         .checks = {{"state", "'SUCCESS'"},
                    {"conditions.0.type", "'Rerun'"},
                    {"conditions.0.status", "'False'"},
                    {"conditions.0.reason", "'InvalidToken'"}}},
        {.name = "rerun empty token is no token",
         .wf = WFM(META_RERUN(""), SPEC(""), "{'state':'SUCCESS'}"),
         .checks = {{"state", "'SUCCESS'"}}},
        {.name = "rerun ignored while disabled",
         .wf = WFM(META_RERUN("1"), SPEC(",'disabled':true"), "{'state':'SUCCESS'}"),
         .checks = {{"state", "'SUCCESS'"}}},
};

static void run_case(const struct rc_case *c, struct test_random *tr)
{
    _cleanup_(workflow_ulid_freep) struct workflow_ulid *ids = test_ids(tr);
    _cleanup_json_ json_t *wf = j(c->wf);
    _cleanup_json_ json_t *before = json_deep_copy(wf);
    _cleanup_json_ json_t *hw = c->hardware ? j(c->hardware) : NULL;
    _cleanup_json_ json_t *doc = c->render ? j(c->rendered_doc ? c->rendered_doc : rendered) : NULL;
    struct workflow_env env = {.now_ms = c->now ? c->now : TEST_NOW, .ids = ids};
    struct workflow_reconcile_opts opts = {
            .hardware = hw,
            .rendered = doc,
            .render_error = c->render_error,
            .bmc_jobs = c->bmc,
            .boot_job = c->job,
    };
    struct workflow_plan plan = {0};
    int r = workflow_reconcile(wf, &env, &opts, &plan);

    if (r != 0)
        fail_msg("%s: workflow_reconcile() = %d", c->name, r);
    if (c->changed != (plan.status != NULL))
        fail_msg("%s: want changed=%d", c->name, c->changed);
    if (plan.effects != c->effects)
        fail_msg("%s: effects want %#x, got %#x", c->name, c->effects, plan.effects);
    if (c->requeue >= 0 && plan.requeue_after_ms != c->requeue)
        fail_msg("%s: requeue want %lld, got %lld", c->name, (long long)c->requeue,
                 (long long)plan.requeue_after_ms);
    if (plan.boot_job != c->boot_job)
        fail_msg("%s: boot job want %d, got %d", c->name, c->boot_job, plan.boot_job);
    check_events(&plan, c->events, c->name);
    const json_t *st = plan.status ? plan.status : jpath(wf, "status");
    for (size_t i = 0; i < ARRAY_SIZE(c->checks) && c->checks[i].path; i++) {
        check_path(st, c->checks[i].path, c->checks[i].want, c->name);
    }
    if (!json_equal(wf, before))
        fail_msg("%s: input modified", c->name);
    workflow_plan_done(&plan);
    assert_null(plan.status);
}

static void test_workflow_reconcile_transitions_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rc_cases); i++) {
        struct test_random tr = {0};
        run_case(&rc_cases[i], &tr);
    }
}

/* Reconciling the written status again converges: once nothing changes, a
 * further call returns no status and no events. */
static void test_workflow_reconcile_converges(void **state)
{
    static const char *const wfs[] = {
            WF(SPEC(TOGGLE), "{}"),
            WF(SPEC(",'bootOptions':{'toggleAllowNetboot':true,'bootMode':'netboot'}"), "{}"),
            WFM(META_RERUN("7"), SPEC(TOGGLE), "{'state':'SUCCESS'}"),
    };
    (void)state;
    for (size_t w = 0; w < ARRAY_SIZE(wfs); w++) {
        struct test_random tr = {0};
        _cleanup_(workflow_ulid_freep) struct workflow_ulid *ids = test_ids(&tr);
        _cleanup_json_ json_t *wf = j(wfs[w]);
        _cleanup_json_ json_t *hw = j(HW);
        _cleanup_json_ json_t *doc = j(rendered);
        struct workflow_env env = {.now_ms = TEST_NOW, .ids = ids};
        size_t steps = 0;

        for (;; steps++) {
            struct workflow_plan plan = {0};
            struct workflow_reconcile_opts opts = {.hardware = hw};
            if (workflow_needs_render(wf))
                opts.rendered = doc;
            assert_int_equal(workflow_reconcile(wf, &env, &opts, &plan), 0);
            if (!plan.status) {
                assert_int_equal(plan.n_events, 0);
                break;
            }
            assert_true(steps < 5);
            assert_int_equal(json_object_set(wf, "status", plan.status), 0);
            workflow_plan_done(&plan);
            env.now_ms += 1000;
        }
        assert_true(steps >= 2);
        /* Without BMC support the netboot workflow waits in PREPARING. */
        check_path(wf, "status.state", w == 1 ? "'PREPARING'" : "'PENDING'", wfs[w]);
    }
}

static void test_workflow_reconcile_render_ids_unique_and_ordered(void **state)
{
    struct test_random tr = {0};
    _cleanup_(workflow_ulid_freep) struct workflow_ulid *ids = test_ids(&tr);
    _cleanup_json_ json_t *wf = j(WF(SPEC(""), "{}"));
    _cleanup_json_ json_t *doc = j(rendered);
    struct workflow_env env = {.now_ms = TEST_NOW, .ids = ids};
    struct workflow_plan plan = {0};
    const char *order[] = {"tasks.0.id", "tasks.0.actions.0.id", "tasks.0.actions.1.id",
                           "tasks.1.id", "tasks.1.actions.0.id"};

    (void)state;
    assert_int_equal(
            workflow_reconcile(wf, &env, &(struct workflow_reconcile_opts){.rendered = doc}, &plan),
            0);
    for (size_t i = 1; i < ARRAY_SIZE(order); i++) {
        const char *a = json_string_value(jpath(plan.status, order[i - 1]));
        const char *b = json_string_value(jpath(plan.status, order[i]));
        assert_non_null(a);
        assert_non_null(b);
        assert_true(strcmp(a, b) < 0);
    }
    workflow_plan_done(&plan);
}

static void test_workflow_reconcile_rejects_bad_args(void **state)
{
    struct test_random tr = {0};
    _cleanup_(workflow_ulid_freep) struct workflow_ulid *ids = test_ids(&tr);
    _cleanup_json_ json_t *wf = j(WF(SPEC(""), "{}"));
    _cleanup_json_ json_t *arr = j("[]");
    _cleanup_json_ json_t *doc = j(rendered);
    struct workflow_env env = {.now_ms = TEST_NOW, .ids = ids};
    struct workflow_env no_ids = {.now_ms = TEST_NOW};
    struct workflow_plan plan = {.n_events = 99};

    (void)state;
    assert_int_equal(workflow_reconcile(NULL, &env, NULL, &plan), -EINVAL);
    assert_int_equal(workflow_reconcile(arr, &env, NULL, &plan), -EINVAL);
    assert_int_equal(workflow_reconcile(wf, NULL, NULL, &plan), -EINVAL);
    assert_int_equal(workflow_reconcile(wf, &env, NULL, NULL), -EINVAL);
    /* A render is needed but no result was given. */
    assert_int_equal(workflow_reconcile(wf, &env, NULL, &plan), -EINVAL);
    assert_int_equal(workflow_reconcile(wf, &env, &(struct workflow_reconcile_opts){0}, &plan),
                     -EINVAL);
    /* Minting ids needs the generator. */
    assert_int_equal(workflow_reconcile(wf, &no_ids,
                                        &(struct workflow_reconcile_opts){.rendered = doc}, &plan),
                     -EINVAL);
    /* A failing random source surfaces. */
    tr.fail = -EIO;
    assert_int_equal(
            workflow_reconcile(wf, &env, &(struct workflow_reconcile_opts){.rendered = doc}, &plan),
            -EIO);
    assert_int_equal(plan.n_events, 99); /* untouched on failure */
    workflow_plan_done(NULL);
}

/* Messages are bounded: a huge render error is cut for the condition and
 * for the Event, at a character boundary. */
static void test_workflow_reconcile_long_messages_are_cut(void **state)
{
    struct test_random tr = {0};
    _cleanup_(workflow_ulid_freep) struct workflow_ulid *ids = test_ids(&tr);
    _cleanup_json_ json_t *wf = j(WF(SPEC(""), "{}"));
    _cleanup_free_ char *err = malloc(2 * 5000 + 1);
    struct workflow_plan plan = {0};

    (void)state;
    assert_non_null(err);
    for (size_t i = 0; i < 5000; i++)
        memcpy(err + 2 * i, "\xc3\xa9", 2); /* U+00E9 */
    err[10000] = '\0';
    assert_int_equal(workflow_reconcile(wf, &(struct workflow_env){.now_ms = TEST_NOW, .ids = ids},
                                        &(struct workflow_reconcile_opts){.render_error = err},
                                        &plan),
                     0);
    const char *msg = json_string_value(jpath(plan.status, "conditions.0.message"));
    assert_non_null(msg);
    assert_int_equal(strlen(msg), WORKFLOW_MESSAGE_MAX);
    assert_int_equal(plan.n_events, 1);
    assert_int_equal(strlen(plan.events[0].message), WORKFLOW_EVENT_MESSAGE_MAX - 2);
    assert_memory_equal(plan.events[0].message, err, WORKFLOW_EVENT_MESSAGE_MAX - 2);
    workflow_plan_done(&plan);
}

static const struct {
    const char *wf;
    bool want;
} needs_render_cases[] = {
        {WF(SPEC(""), "{}"), true},
        {"{" META "," SPEC("") "}", true},
        {WF(SPEC(""), "{'state':''}"), true},
        {WF(SPEC(""), "{'state':'STATE_PENDING'}"), true},
        {WF(SPEC(""), "{'state':'STATE_SUCCESS'}"), false},
        {WF(SPEC(""), "{'state':'PENDING'}"), false},
        {WF(SPEC(""), "{'state':'RUNNING'}"), false},
        {WF(SPEC(",'disabled':true"), "{}"), true},
        {WFM(META_RERUN("1"), SPEC(""), "{'state':'SUCCESS'}"), true},
        {WFM(META_RERUN("1"), SPEC(",'disabled':true"), "{'state':'SUCCESS'}"), false},
        {WFM(META_RERUN("1"),
             SPEC(""),
             "{'state':'SUCCESS','conditions':[{'type':'Rerun',"
             "'status':'True','message':'1'}]}"),
         false},
        {WFM(META_RERUN("1"),
             SPEC(""),
             "{'state':'SUCCESS','conditions':[{'type':'Rerun',"
             "'status':'False','message':'1'}]}"),
         true},
        {"[]", false},
};

static void test_workflow_needs_render_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(needs_render_cases); i++) {
        _cleanup_json_ json_t *wf = j(needs_render_cases[i].wf);
        if (workflow_needs_render(wf) != needs_render_cases[i].want)
            fail_msg("%s: want %d", needs_render_cases[i].wf, needs_render_cases[i].want);
    }
    assert_false(workflow_needs_render(NULL));
}

static const struct {
    const char *wf;
    enum workflow_boot_job want;
    const char *name;
} boot_job_cases[] = {
        {WF(SPEC(BOOT("netboot")), "{'state':'PREPARING'}"), WORKFLOW_BOOT_JOB_NETBOOT,
         "netboot-wf1"},
        {WF(SPEC(BOOT("netboot")), "{'state':'POST'}"), WORKFLOW_BOOT_JOB_NONE, NULL},
        {WF(SPEC(ISO), "{'state':'PREPARING'}"), WORKFLOW_BOOT_JOB_ISO_MOUNT, "iso-mount-wf1"},
        {WF(SPEC(BOOT("iso")), "{'state':'POST'}"), WORKFLOW_BOOT_JOB_ISO_EJECT, "iso-eject-wf1"},
        {WF(SPEC(",'bootOptions':{'bootMode':'customboot','custombootConfig':{'postActions':"
                 "[{'powerAction':'on'}]}}"),
            "{'state':'POST'}"),
         WORKFLOW_BOOT_JOB_CUSTOMBOOT_POST, "customboot-post-wf1"},
        {WF(SPEC(BOOT("customboot")), "{'state':'POST'}"), WORKFLOW_BOOT_JOB_NONE, NULL},
        {WF(SPEC(BOOT("netboot")), "{'state':'RUNNING'}"), WORKFLOW_BOOT_JOB_NONE, NULL},
        {WF(SPEC(""), "{'state':'PREPARING'}"), WORKFLOW_BOOT_JOB_NONE, NULL},
};

static void test_workflow_boot_job_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(boot_job_cases); i++) {
        _cleanup_json_ json_t *wf = j(boot_job_cases[i].wf);
        _cleanup_free_ char *name = NULL;
        enum workflow_boot_job job = workflow_boot_job_wanted(wf);

        assert_int_equal(job, boot_job_cases[i].want);
        if (boot_job_cases[i].name) {
            assert_int_equal(workflow_boot_job_name(wf, job, &name), 0);
            assert_string_equal(name, boot_job_cases[i].name);
        } else {
            assert_int_equal(workflow_boot_job_name(wf, job, &name), -EINVAL);
            assert_null(name);
        }
    }
    assert_null(workflow_boot_job_to_string(WORKFLOW_BOOT_JOB_NONE));
    assert_null(workflow_boot_job_to_string(_WORKFLOW_BOOT_JOB_MAX));
    assert_string_equal(workflow_boot_job_to_string(WORKFLOW_BOOT_JOB_CUSTOMBOOT_PREPARING),
                        "customboot-preparing");

    /* Names: the Workflow must have one, and the result fits 253 characters. */
    char longname[260];
    memset(longname, 'a', 245); /* "netboot-" + 245 = 253 characters */
    longname[245] = '\0';
    _cleanup_json_ json_t *nameless = j("{'metadata':{}}");
    _cleanup_json_ json_t *big = json_pack("{s:{s:s}}", "metadata", "name", longname);
    _cleanup_free_ char *n = NULL;
    assert_int_equal(workflow_boot_job_name(nameless, WORKFLOW_BOOT_JOB_NETBOOT, &n), -EINVAL);
    assert_int_equal(workflow_boot_job_name(big, WORKFLOW_BOOT_JOB_NETBOOT, &n), 0);
    assert_int_equal(strlen(n), 253);
    free(n);
    n = NULL;
    assert_int_equal(workflow_boot_job_name(big, WORKFLOW_BOOT_JOB_ISO_MOUNT, &n), -ENAMETOOLONG);
    assert_null(n);
    assert_int_equal(workflow_boot_job_name(big, WORKFLOW_BOOT_JOB_NETBOOT, NULL), -EINVAL);
}

static const struct {
    const char *hw;
    bool allow;
    int ret;
    const char *interfaces; /* result spec.interfaces when ret == 1 */
} pxe_cases[] = {
        {"{'spec':{'interfaces':[{'dhcp':{'mac':'a'}},{'netboot':{'allowPXE':false,'osie':{}}}]}}",
         true, 1,
         "[{'dhcp':{'mac':'a'},'netboot':{'allowPXE':true}},"
         "{'netboot':{'allowPXE':true,'osie':{}}}]"},
        {"{'spec':{'interfaces':[{'netboot':{'allowPXE':true}}]}}", false, 1,
         "[{'netboot':{'allowPXE':false}}]"},
        {"{'spec':{'interfaces':[{'netboot':{'allowPXE':true}}]}}", true, 0, NULL},
        {"{'spec':{'interfaces':[]}}", true, 0, NULL},
        {"{'spec':{}}", false, 0, NULL},
        {"{'spec':{'interfaces':[7,{'netboot':{'allowPXE':'yes'}}]}}", true, 1,
         "[7,{'netboot':{'allowPXE':true}}]"},
};

static void test_workflow_hardware_set_allow_pxe_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(pxe_cases); i++) {
        _cleanup_json_ json_t *hw = j(pxe_cases[i].hw);
        _cleanup_json_ json_t *before = json_deep_copy(hw);
        _cleanup_json_ json_t *out = NULL;

        assert_int_equal(workflow_hardware_set_allow_pxe(hw, pxe_cases[i].allow, &out),
                         pxe_cases[i].ret);
        assert_true(json_equal(hw, before));
        if (pxe_cases[i].ret == 1)
            check_path(out, "spec.interfaces", pxe_cases[i].interfaces, pxe_cases[i].hw);
        else
            assert_null(out);
    }
    _cleanup_json_ json_t *arr = j("[]");
    json_t *out = NULL;
    assert_int_equal(workflow_hardware_set_allow_pxe(arr, true, &out), -EINVAL);
    assert_int_equal(workflow_hardware_set_allow_pxe(NULL, true, &out), -EINVAL);
    assert_null(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_workflow_reconcile_transitions_table),
            cmocka_unit_test(test_workflow_reconcile_converges),
            cmocka_unit_test(test_workflow_reconcile_render_ids_unique_and_ordered),
            cmocka_unit_test(test_workflow_reconcile_rejects_bad_args),
            cmocka_unit_test(test_workflow_reconcile_long_messages_are_cut),
            cmocka_unit_test(test_workflow_needs_render_table),
            cmocka_unit_test(test_workflow_boot_job_table),
            cmocka_unit_test(test_workflow_hardware_set_allow_pxe_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
