/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The action thread: runs the executor, and hands its progress lines and
 * result to the loop thread through a mutex-guarded mailbox. Only the
 * immutable action message (borrowed from the session) and malloc'd texts
 * cross threads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent-internal.h"

struct agent_runner {
    pthread_t thread;
    int cancel_fd;
    const struct agentproto_action *action;
    agent_exec_fn exec;
    void *userdata;
    void (*wake)(void *);
    void *wake_userdata;
    struct agentproto_time start;
    int64_t start_ns;

    pthread_mutex_t lock;
    char *progress; /* latest line not taken */
    bool done;      /* the result is in */
    bool taken;     /* ... and was taken */
    struct agent_run_result result;
};

void agent_time_now(struct agentproto_time *ret)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_REALTIME, &ts);
    *ret = (struct agentproto_time){.sec = ts.tv_sec, .nsec = (int32_t)ts.tv_nsec};
}

int64_t agent_mono_ns(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void on_progress(const char *message, void *userdata)
{
    struct agent_runner *r = userdata;
    char *clean;
    bool was_empty;

    if (!message)
        return;
    clean = agent_message_clean(message, strlen(message), AGENTPROTO_MESSAGE_MAX);
    if (!clean)
        return; /* progress is best effort */
    pthread_mutex_lock(&r->lock);
    was_empty = !r->progress;
    free(r->progress);
    r->progress = clean;
    pthread_mutex_unlock(&r->lock);
    /* One wake per batch: the loop takes only the latest line anyway. */
    if (was_empty)
        r->wake(r->wake_userdata);
}

static void *run(void *arg)
{
    struct agent_runner *r = arg;
    struct agent_exec_result res = {.state = AGENTPROTO_STATE_UNSET};
    struct agentproto_time stop;
    int e;

    e = r->exec(r->userdata, r->action, r->cancel_fd, on_progress, r, &res);
    agent_time_now(&stop);
    pthread_mutex_lock(&r->lock);
    r->result.error = e < 0 ? e : 0;
    if (e >= 0)
        r->result.exec = res;
    r->result.start = r->start;
    r->result.stop = stop;
    r->result.duration_ns = agent_mono_ns() - r->start_ns;
    r->done = true;
    pthread_mutex_unlock(&r->lock);
    if (e < 0) {
        /* An executor that failed keeps nothing of ours. */
        free(res.message);
    }
    /* After done, the thread only wakes the loop and returns, so joining
     * it from then on is bounded. */
    r->wake(r->wake_userdata);
    return NULL;
}

int agent_runner_start(struct agent_runner **ret,
                       const struct agentproto_action *a,
                       agent_exec_fn exec,
                       void *userdata,
                       void (*wake)(void *),
                       void *wake_userdata,
                       const struct agentproto_time *start)
{
    struct agent_runner *r;
    int e;

    assert_return(ret && a && exec && wake && start, -EINVAL);
    r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (r->cancel_fd < 0) {
        e = -errno;
        free(r);
        return e;
    }
    r->action = a;
    r->exec = exec;
    r->userdata = userdata;
    r->wake = wake;
    r->wake_userdata = wake_userdata;
    r->start = *start;
    r->start_ns = agent_mono_ns();
    pthread_mutex_init(&r->lock, NULL);
    e = pthread_create(&r->thread, NULL, run, r);
    if (e != 0) {
        pthread_mutex_destroy(&r->lock);
        (void)close(r->cancel_fd);
        free(r);
        return -e;
    }
    *ret = r;
    return 0;
}

char *agent_runner_take_progress(struct agent_runner *r)
{
    char *p;

    if (!r)
        return NULL;
    pthread_mutex_lock(&r->lock);
    p = r->progress;
    r->progress = NULL;
    pthread_mutex_unlock(&r->lock);
    return p;
}

bool agent_runner_take_result(struct agent_runner *r, struct agent_run_result *ret)
{
    bool got = false;

    if (!r || !ret)
        return false;
    pthread_mutex_lock(&r->lock);
    if (r->done && !r->taken) {
        *ret = r->result;
        r->result.exec.message = NULL;
        r->result.exec.finish = NULL;
        r->taken = true;
        got = true;
    }
    pthread_mutex_unlock(&r->lock);
    return got;
}

void agent_runner_cancel(struct agent_runner *r)
{
    uint64_t one = 1;

    if (r && write(r->cancel_fd, &one, sizeof(one)) < 0) {
        /* The counter cannot overflow with one write per stop; nothing to do. */
    }
}

bool agent_runner_finished(struct agent_runner *r)
{
    bool done;

    if (!r)
        return true;
    pthread_mutex_lock(&r->lock);
    done = r->done;
    pthread_mutex_unlock(&r->lock);
    return done;
}

int agent_runner_free(struct agent_runner *r)
{
    if (!r)
        return 0;
    if (!agent_runner_finished(r))
        return -EBUSY;
    (void)pthread_join(r->thread, NULL);
    pthread_mutex_destroy(&r->lock);
    (void)close(r->cancel_fd);
    free(r->progress);
    free(r->result.exec.message);
    /* An untaken finish is dropped: the caller owns finish_free. */
    free(r);
    return 0;
}
