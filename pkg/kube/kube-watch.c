/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Watch streams (reference/kube-api.md sections 1.4-1.6): a GET on the
 * collection with watch=true, allowWatchBookmarks and timeoutSeconds (random
 * in [300, 600) unless given, as client-go's reflector does), read through
 * the bounded line splitter. The transfer runs on a private multi handle
 * polled every KUBE_WATCH_POLL_MS, so cancellation and a dead silent stream
 * are noticed promptly even when no byte arrives (curl's progress callback
 * may slow down to once a second on an idle transfer; it is installed too,
 * as a second way out).
 *
 * ERROR events are not handed to the callback: their Status ends the watch
 * with its errno (410 Expired/Gone -> -ESTALE) and fills err, as client-go's
 * watchHandler turns them into an error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/json-cleanup.h"
#include "kube/kube-internal.h"

#define KUBE_MAX_URL ((size_t)1024 * 1024)

/* Records the error that ends the stream and returns it. */
static int watch_stop(struct kube_watch_state *w, int r)
{
    w->stop = r;
    return r;
}

static int watch_line(const char *line, size_t len, void *userdata)
{
    struct kube_watch_state *w = userdata;
    _cleanup_json_ json_t *object = NULL;
    enum kube_event_type type;
    size_t n = len;
    int r;

    while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    if (n == 0)
        return 0; /* a blank line carries nothing */
    r = kube_watch_event_decode(line, n, &type, &object);
    if (r < 0)
        return watch_stop(w, kube_error_local(w->err, -EBADMSG, "malformed watch event"));
    if (type == KUBE_EVENT_ERROR) {
        r = kube_error_from_status(w->err, 0, object);
        if (r < 0)
            return watch_stop(w, r);
        if (w->err->http_code == 0)
            w->err->http_code = 500;
        if (w->err->message[0] == '\0')
            snprintf(w->err->message, sizeof(w->err->message), "watch ERROR event");
        return watch_stop(w, kube_error_to_errno(w->err));
    }
    r = w->fn(type, object, w->userdata);
    if (r < 0)
        return watch_stop(w, kube_error_local(w->err, r, "the event callback stopped the watch"));
    w->events++;
    return 0;
}

int kube_watch_state_init(struct kube_watch_state *w,
                          size_t max_line,
                          kube_event_fn fn,
                          void *userdata,
                          struct kube_error *err)
{
    assert_return(w && fn && err, -EINVAL);
    *w = (struct kube_watch_state){
            .fn = fn,
            .userdata = userdata,
            .err = err,
            .last_rx_ns = kube_now_ns(),
    };
    w->splitter.max_line = max_line ? max_line : KUBE_DEFAULT_MAX_LINE;
    w->splitter.pending = BUF_INIT(w->splitter.max_line);
    return 0;
}

void kube_watch_state_done(struct kube_watch_state *w)
{
    if (w)
        buf_free(&w->splitter.pending);
}

int kube_watch_state_feed(struct kube_watch_state *w, const char *data, size_t len)
{
    int r;

    if (w->stop)
        return w->stop;
    r = kube_line_splitter_feed(&w->splitter, data, len, watch_line, w);
    if (r < 0 && !w->stop) {
        /* The splitter itself failed: the line was too long or memory ran out. */
        if (r == -E2BIG)
            (void)kube_error_local(w->err, r, "watch event longer than %zu bytes",
                                   w->splitter.max_line);
        else
            (void)kube_error_local(w->err, r, "watch stream buffer: out of memory");
        w->stop = r;
    }
    return w->stop;
}

int kube_watch_path(struct buf *out,
                    const struct kube_resource *r,
                    const char *ns,
                    const struct kube_watch_opts *opts,
                    long timeout_seconds)
{
    char timeout[32];
    int k;

    snprintf(timeout, sizeof(timeout), "%ld", timeout_seconds);
    k = kube_path_build(out, r, ns, NULL, NULL);
    /* Keys sorted as Go's url.Values.Encode writes them, which is also
     * what a reflector sends (reference section 1.7). */
    if (k >= 0 && (!opts || opts->allow_bookmarks))
        k = kube_query_add(out, "allowWatchBookmarks", "true");
    if (k >= 0 && opts)
        k = kube_query_add(out, "fieldSelector", opts->field_selector);
    if (k >= 0 && opts)
        k = kube_query_add(out, "labelSelector", opts->label_selector);
    if (k >= 0 && opts)
        k = kube_query_add(out, "resourceVersion", opts->resource_version);
    if (k >= 0)
        k = kube_query_add(out, "timeoutSeconds", timeout);
    if (k >= 0)
        k = kube_query_add(out, "watch", "true");
    return k;
}

static long random_timeout_seconds(void)
{
    uint32_t v;

    if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
        v = (uint32_t)kube_now_ns() ^ (uint32_t)time(NULL);
    return 300 + (long)(v % 300);
}

/* ------------------------------------------------------------- transfer */

struct watch_xfer {
    struct kube_watch_state *w;
    CURL *h;
    struct kube_cancel *cancel;
    uint64_t dead_after_ns;
    int aborted; /* why the progress callback stopped the transfer */
    bool code_known;
    long code;
    struct buf error_body;
};

static bool xfer_dead(const struct watch_xfer *x)
{
    return kube_now_ns() - x->w->last_rx_ns > x->dead_after_ns;
}

static size_t watch_write(char *data, size_t size, size_t n, void *userdata)
{
    struct watch_xfer *x = userdata;
    size_t len = size * n;

    x->w->last_rx_ns = kube_now_ns();
    if (!x->code_known) {
        (void)curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->code);
        x->code_known = true;
    }
    if (x->code < 200 || x->code >= 300) {
        /* An error answer: keep the start of its Status body. */
        size_t room = x->error_body.max - x->error_body.len;
        if (room > 0 && buf_append(&x->error_body, data, MIN(len, room)) < 0)
            return 0;
        return len;
    }
    return kube_watch_state_feed(x->w, data, len) < 0 ? 0 : len;
}

static int watch_progress(
        void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    struct watch_xfer *x = userdata;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    if (kube_cancel_fired(x->cancel))
        x->aborted = -ECANCELED;
    else if (xfer_dead(x))
        x->aborted = -ETIMEDOUT;
    return x->aborted != 0;
}

/* Runs the transfer; 0 with *ret_cc, or -ECANCELED/-ETIMEDOUT/-EIO/-ENOMEM. */
static int watch_loop(struct watch_xfer *x, CURLcode *ret_cc)
{
    CURLM *m = curl_multi_init();
    CURLMsg *msg;
    int running = 1, left, r = 0;

    if (!m)
        return -ENOMEM;
    if (curl_multi_add_handle(m, x->h) != CURLM_OK) {
        curl_multi_cleanup(m);
        return -ENOMEM;
    }
    while (r == 0) {
        if (curl_multi_perform(m, &running) != CURLM_OK)
            r = -EIO;
        else if (!running)
            break;
        else if (kube_cancel_fired(x->cancel))
            r = -ECANCELED;
        else if (xfer_dead(x))
            r = -ETIMEDOUT;
        else if (curl_multi_poll(m, NULL, 0, KUBE_WATCH_POLL_MS, NULL) != CURLM_OK)
            r = -EIO;
    }
    *ret_cc = CURLE_OK;
    while (r == 0) {
        msg = curl_multi_info_read(m, &left);
        if (!msg)
            break;
        if (msg->msg == CURLMSG_DONE)
            *ret_cc = msg->data.result;
    }
    (void)curl_multi_remove_handle(m, x->h);
    curl_multi_cleanup(m);
    return r;
}

static int watch_setup(struct kube_client *c,
                       struct watch_xfer *x,
                       const char *url,
                       const struct kube_creds *creds,
                       char *errbuf,
                       struct curl_slist **headers)
{
    CURLcode cc;
    int r;

    r = kube_client_setup(c, x->h, url, NULL, creds, errbuf, headers);
    if (r < 0)
        return r;
    cc = curl_easy_setopt(x->h, CURLOPT_HTTPGET, 1L);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, watch_write);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(x->h, CURLOPT_XFERINFOFUNCTION, watch_progress);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(x->h, CURLOPT_XFERINFODATA, x);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(x->h, CURLOPT_NOPROGRESS, 0L);
    return cc == CURLE_OK ? 0 : -ENOMEM;
}

/* What the finished transfer means. */
static int watch_result(struct kube_client *c,
                        struct watch_xfer *x,
                        int loop,
                        CURLcode cc,
                        const char *errbuf,
                        struct kube_error *err)
{
    struct curl_header *hdr = NULL;
    long retry_after = 0;

    if (loop == 0 && x->aborted)
        loop = x->aborted;
    if (loop == -ECANCELED)
        return kube_error_local(err, loop, "watch cancelled");
    if (loop == -ETIMEDOUT)
        return kube_error_local(err, loop, "watch stream silent for %llu ms",
                                (unsigned long long)(x->dead_after_ns / 1000000));
    if (loop < 0)
        return kube_error_local(err, loop, "watch transfer failed");
    if (x->w->stop)
        return x->w->stop;
    if (!x->code_known)
        (void)curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->code);
    if (x->code == 0)
        return kube_curl_error(cc, errbuf, err);
    if (x->code < 200 || x->code >= 300) {
        if (x->code == 401)
            kube_auth_invalidate(&c->auth);
        if (curl_easy_header(x->h, "Retry-After", 0, CURLH_HEADER, -1, &hdr) == CURLHE_OK && hdr)
            retry_after = kube_retry_after_parse(hdr->value, (int64_t)time(NULL));
        return kube_response_finish(x->code, x->error_body.data, x->error_body.len, retry_after,
                                    NULL, err);
    }
    if (cc != CURLE_OK)
        return kube_curl_error(cc, errbuf, err);
    if (kube_line_splitter_pending(&x->w->splitter) > 0)
        return kube_error_local(err, -EIO, "the watch stream ended inside an event");
    return 0;
}

static int watch_transfer(struct kube_client *c,
                          const char *url,
                          const struct kube_creds *creds,
                          struct watch_xfer *x,
                          bool waited,
                          struct kube_error *err)
{
    struct curl_slist *headers = NULL;
    char errbuf[CURL_ERROR_SIZE];
    curl_off_t ttfb = 0;
    CURLcode cc = CURLE_OK;
    int r;

    x->h = curl_easy_init();
    if (!x->h)
        return kube_error_local(err, -ENOMEM, "cannot create a curl handle");
    r = watch_setup(c, x, url, creds, errbuf, &headers);
    if (r < 0) {
        curl_easy_cleanup(x->h);
        curl_slist_free_all(headers);
        return kube_error_local(err, r, "cannot set up the watch transfer");
    }
    x->w->last_rx_ns = kube_now_ns();
    r = watch_loop(x, &cc);
    r = watch_result(c, x, r, cc, errbuf, err);
    /* The latency of a watch is the time to its first byte. */
    (void)curl_easy_getinfo(x->h, CURLINFO_STARTTRANSFER_TIME_T, &ttfb);
    kube_client_account(c, x->code, (uint64_t)ttfb * 1000, waited);
    curl_easy_cleanup(x->h);
    curl_slist_free_all(headers);
    return r;
}

int kube_watch_run_tuned(struct kube_client *c,
                         const struct kube_resource *r,
                         const char *ns,
                         const struct kube_watch_opts *opts,
                         kube_event_fn fn,
                         void *userdata,
                         struct kube_cancel *cancel,
                         struct kube_error *err,
                         const struct kube_watch_tuning *tuning)
{
    _cleanup_buf_ struct buf url = BUF_INIT(KUBE_MAX_URL);
    struct kube_error local = {0};
    struct kube_error *e = err ? err : &local;
    struct kube_creds creds = {0};
    struct kube_watch_state w;
    struct watch_xfer x = {.cancel = cancel, .error_body = BUF_INIT(KUBE_MAX_ERROR_BODY)};
    long timeout, dead_ms;
    bool waited = false;
    int k;

    if (!c || !fn || !r || !r->version || !*r->version || !r->resource || !*r->resource)
        return kube_error_local(err, -EINVAL, "kube_watch_run: bad arguments");
    if (kube_cancel_fired(cancel))
        return kube_error_local(err, -ECANCELED, "watch cancelled");
    timeout = opts && opts->timeout_seconds > 0 ? opts->timeout_seconds : random_timeout_seconds();
    dead_ms = tuning && tuning->dead_after_ms > 0 ? tuning->dead_after_ms
                                                  : timeout * 1000 + KUBE_WATCH_DEAD_SLACK_MS;
    x.dead_after_ns = (uint64_t)dead_ms * 1000000;
    k = buf_append_str(&url, c->base_url);
    if (k >= 0)
        k = kube_watch_path(&url, r, ns, opts, timeout);
    if (k < 0)
        return kube_error_local(
                err, k, k == -EINVAL ? "invalid resource or namespace" : "watch URL too long");
    k = kube_auth_get(&c->auth, kube_now_ns(), (int64_t)time(NULL), &creds, err);
    if (k < 0)
        return k;
    k = kube_limiter_wait(&c->limiter, cancel, &waited);
    if (k < 0) {
        kube_creds_clear(&creds);
        return kube_error_local(err, k, "watch cancelled");
    }
    k = kube_watch_state_init(&w, opts ? opts->max_line : 0, fn, userdata, e);
    if (k >= 0) {
        x.w = &w;
        k = watch_transfer(c, buf_str(&url), &creds, &x, waited, e);
        kube_watch_state_done(&w);
    }
    kube_creds_clear(&creds);
    buf_free(&x.error_body);
    kube_error_clear(&local);
    return k;
}

int kube_watch_run(struct kube_client *c,
                   const struct kube_resource *r,
                   const char *ns,
                   const struct kube_watch_opts *opts,
                   kube_event_fn fn,
                   void *userdata,
                   struct kube_cancel *cancel,
                   struct kube_error *err)
{
    return kube_watch_run_tuned(c, r, ns, opts, fn, userdata, cancel, err, NULL);
}
