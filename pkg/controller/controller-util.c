/* SPDX-License-Identifier: Apache-2.0 */
/* Small pieces every reconciler of anvil-controller shares. */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "controller/controller-internal.h"
#include "events/events.h"
#include "workflow/workflow.h"

int64_t controller_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *controller_meta_str(const json_t *obj, const char *field)
{
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

int controller_random_bytes(void *userdata, void *buf, size_t len)
{
    (void)userdata;
    return getrandom(buf, len, 0) == (ssize_t)len ? 0 : -EIO;
}

void controller_record_plan_events(struct controller *c, const json_t *obj,
                                   const struct workflow_plan *p)
{
    struct events_ref ref;
    if (!c->recorder || events_ref_from_object(obj, &ref) < 0)
        return;
    for (size_t i = 0; i < p->n_events; i++)
        (void)events_record(c->recorder, &ref,
                            strcmp(p->events[i].type, "Warning") == 0 ? EVENTS_WARNING
                                                                      : EVENTS_NORMAL,
                            p->events[i].reason, p->events[i].message);
}
