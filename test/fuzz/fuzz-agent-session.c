/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's protocol state machine driven by a hostile gateway: the input
 * is a script of records, each one op byte and, for the ops that take one,
 * a two-byte big-endian length and a payload. Ops: 0 a server message
 * (the payload), 1 connected, 2 disconnected, 3 the running action started,
 * 4 a progress line (the payload), 5 the action finished (payload[0] picks
 * the state), 6 hold on/off. After every step the queued texts must decode
 * as hello or status, reports stay within their cap, and nothing leaks.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain(struct agent_session *s)
{
    char *text;
    size_t len;

    while (agent_session_next_out(s, &text, &len)) {
        struct agentproto_msg *m = NULL;
        if (strlen(text) != len || agentproto_decode(text, len, &m, NULL) != 0)
            abort();
        if (m->type != AGENTPROTO_HELLO && m->type != AGENTPROTO_STATUS)
            abort();
        agentproto_msg_free(m);
        free(text);
    }
    if (agent_session_pending(s) > AGENT_REPORTS_MAX)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum agentproto_state finals[] = {
            AGENTPROTO_STATE_SUCCESS, AGENTPROTO_STATE_FAILED, AGENTPROTO_STATE_TIMEOUT,
            AGENTPROTO_STATE_RUNNING, /* refused: not final */
    };
    const struct agentproto_time t = {.sec = 1700000000, .nsec = 5};
    struct agent_session *s = NULL;
    size_t pos = 0;
    bool hold = false;

    if (agent_session_new(&s, &(struct agent_session_opts){.agent_id = "m1", .token = "t"}) < 0)
        return 0;
    while (pos < size) {
        uint8_t op = data[pos++] % 7;
        const uint8_t *p = NULL;
        size_t n = 0;
        if (op == 0 || op == 4 || op == 5) {
            if (size - pos < 2)
                break;
            n = ((size_t)data[pos] << 8) | data[pos + 1];
            pos += 2;
            if (n > size - pos)
                n = size - pos;
            p = data + pos;
            pos += n;
        }
        switch (op) {
        case 0: {
            struct agent_session_result res;
            char *err = NULL;
            int r = agent_session_handle(s, p, n, &res, &err);
            if (r < 0 && r != -EBADMSG && r != -EPROTONOSUPPORT && r != -EMSGSIZE && r != -ENOMEM)
                abort();
            if (r == 0 && res.kind == AGENT_SESSION_START && !agent_session_running(s))
                abort();
            free(err);
            break;
        }
        case 1:
            (void)agent_session_connected(s);
            break;
        case 2:
            agent_session_disconnected(s);
            break;
        case 3:
            (void)agent_session_action_started(s, &t);
            break;
        case 4: {
            char *msg = agent_message_clean((const char *)p, n, AGENTPROTO_MESSAGE_MAX);
            if (msg)
                (void)agent_session_progress(s, msg);
            free(msg);
            break;
        }
        case 5: {
            const struct agent_outcome o = {.state = finals[n ? p[0] % 4 : 0],
                                            .message = "m",
                                            .start = t,
                                            .stop = t,
                                            .duration_ns = 1};
            bool running = agent_session_running(s) != NULL;
            int r = agent_session_action_finished(s, &o, NULL);
            if (r == 0 && (!running || agent_session_running(s)))
                abort();
            break;
        }
        default:
            hold = !hold;
            agent_session_hold(s, hold);
            break;
        }
        drain(s);
    }
    agent_session_free(s);
    return 0;
}
