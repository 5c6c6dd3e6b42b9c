/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway's event loop backend. lws 4.1's own loop calls poll(2) over
 * every socket at each wakeup, O(connections) per message: at 10,000 agents
 * that is most of the gateway's CPU. libev's epoll backend costs O(ready
 * sockets) instead. lws drives libev through its evlib plugin (Debian's
 * libwebsockets-evlib-ev, loaded by lws at run time); the loop is a
 * "foreign" one created here, because lws_service() on a loop that lws owns
 * only returns when every watcher is gone, so a foreign loop is the way to
 * stop it (ev_break from the loop thread). Without the plugin lws refuses
 * the foreign loop and the gateway falls back to the poll loop.
 */
#include <errno.h>
#include <stdlib.h>

#include <ev.h>

#include "gateway/gateway-internal.h"

struct gateway_evlib {
    struct ev_loop *loop;
};

int gateway_evlib_open(struct gateway_evlib **ret)
{
    if (!ret)
        return -EINVAL;
    struct gateway_evlib *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->loop = ev_loop_new(EVFLAG_AUTO);
    if (!e->loop) {
        free(e);
        return -ENOMEM;
    }
    *ret = e;
    return 0;
}

void *gateway_evlib_loop(struct gateway_evlib *e)
{
    return e ? e->loop : NULL;
}

void gateway_evlib_run(struct gateway_evlib *e)
{
    (void)ev_run(e->loop, 0);
}

void gateway_evlib_break(struct gateway_evlib *e)
{
    ev_break(e->loop, EVBREAK_ALL);
}

struct gateway_evlib *gateway_evlib_free(struct gateway_evlib *e)
{
    if (!e)
        return NULL;
    if (e->loop)
        ev_loop_destroy(e->loop);
    free(e);
    return NULL;
}
