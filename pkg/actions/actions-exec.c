/* SPDX-License-Identifier: Apache-2.0 */
/*
 * anvil/exec: the action's `command` run directly in the boot environment,
 * with the action's environment plus PATH. Volumes and namespaces describe
 * a container and do not apply here; the command sees the machine as it is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions/actions-internal.h"

int actions_exec_run(struct actions_ctx *c)
{
    const struct agentproto_action *a = c->a;
    if (a->command.n == 0 || !a->command.v[0][0])
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED,
                               "anvil/exec needs a command (the action's command list is empty)");

    _cleanup_(actions_strv_freep) char **env = NULL;
    int r = actions_ctx_child_env(c, &env);
    if (r < 0)
        return r;
    /* argv must be NULL-terminated; the action's vector is counted. */
    _cleanup_free_ char **argv = calloc(a->command.n + 1, sizeof(char *));
    if (!argv)
        return -ENOMEM;
    for (size_t i = 0; i < a->command.n; i++)
        argv[i] = (char *)a->command.v[i];

    _cleanup_(actions_proc_result_done) struct actions_proc_result res = {0};
    r = actions_proc_run(
            &(struct actions_proc_opts){.argv = argv,
                                        .envp = env,
                                        .deadline_usec = c->deadline_usec,
                                        .cancel_fd = c->cancel_fd,
                                        .tail = c->o.output_tail,
                                        .kill_grace_ms = c->o.kill_grace_ms,
                                        .progress_interval_ms = c->o.progress_interval_ms,
                                        .progress = c->progress,
                                        .userdata = c->userdata},
            &res);
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return actions_ctx_set(c, AGENTPROTO_STATE_FAILED, "cannot start %s: %s", argv[0],
                               strerror(-r));
    _cleanup_free_ char *label = NULL;
    if (asprintf(&label, "command \"%.200s\"", argv[0]) < 0)
        return -ENOMEM;
    return actions_ctx_set_from_proc(c, label, &res);
}
