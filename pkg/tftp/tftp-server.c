/* SPDX-License-Identifier: Apache-2.0 */
/* TFTP UDP transport: listener, per-transfer sockets, deadline heap. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_COMPONENT "tftp"
#include "base/thread.h"
#include "log/log.h"
#include "tftp/tftp-server.h"

#define MAX_DGRAM   65536
#define EPOLL_BATCH 64
#define RECV_BATCH  64
#define WORKERS_MAX 8

struct transfer {
    struct tftp_xfer *x;
    int sock;    /* connected ephemeral socket, or -1 in single-port mode */
    int file_fd; /* read by tftp_read_pread through &file_fd */
    struct sockaddr_in peer;
    size_t heap_idx;
    uint64_t deadline;
    uint64_t started_ms;
    uint64_t bytes;
    char name[64]; /* served file, for the log line */
    bool dead;     /* finished during this loop iteration; freed after it */
    struct transfer *next_dead;
    struct transfer *next_inbox; /* handed to a worker, not yet adopted */
};

struct counters {
    atomic_uint_fast64_t requests, malformed, busy, started, done, failed, active;
    atomic_uint_fast64_t bytes, packets, retransmits, timeouts, send_errors;
    atomic_uint_fast64_t refused[_TFTP_ERROR_MAX];
};

/*
 * One serving thread. Worker 0 also owns the listener: it parses requests,
 * opens files and transfer sockets, and hands each new transfer to a worker
 * (itself included) through that worker's inbox. From then on the transfer,
 * its socket and its deadline belong to that worker alone, so the DATA/ACK
 * path takes no lock. Single-port mode has one worker (every packet arrives
 * on the listener).
 */
struct worker {
    struct tftp_server *s;
    int ep_fd;
    struct base_thread th; /* the thread and its stop eventfd */
    int inbox_fd;          /* eventfd: the inbox has transfers */
    pthread_mutex_t inbox_lock;
    struct transfer *inbox; /* guarded by inbox_lock */
    struct transfer **heap; /* min-heap on deadline; this worker's transfers */
    size_t n_heap;
    struct transfer *dead; /* finished transfers awaiting free() */
    uint8_t *rx, *tx;
};

struct tftp_server {
    struct tftp_limits limits;
    struct tftp_path_policy policy;
    bool single_port;
    size_t max_transfers;
    char ifname[IF_NAMESIZE];
    int dir_fd, fd;
    uint16_t port;
    size_t tx_cap;
    struct worker *workers;
    size_t n_workers, next_worker;
    bool started;
    struct counters c;
};

/* epoll tags for the non-transfer descriptors. */
static char tag_listener, tag_stop, tag_inbox;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void add(atomic_uint_fast64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* ---- deadline heap ---- */

static void heap_swap(struct worker *s, size_t a, size_t b)
{
    struct transfer *t = s->heap[a];
    s->heap[a] = s->heap[b];
    s->heap[b] = t;
    s->heap[a]->heap_idx = a;
    s->heap[b]->heap_idx = b;
}

static void heap_fix(struct worker *s, size_t i)
{
    while (i > 0 && s->heap[(i - 1) / 2]->deadline > s->heap[i]->deadline) {
        heap_swap(s, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->n_heap && s->heap[l]->deadline < s->heap[m]->deadline)
            m = l;
        if (r < s->n_heap && s->heap[r]->deadline < s->heap[m]->deadline)
            m = r;
        if (m == i)
            return;
        heap_swap(s, i, m);
        i = m;
    }
}

static void heap_remove(struct worker *s, struct transfer *t)
{
    size_t i = t->heap_idx;
    s->n_heap--;
    if (i != s->n_heap) {
        s->heap[i] = s->heap[s->n_heap];
        s->heap[i]->heap_idx = i;
        heap_fix(s, i);
    }
}

/* ---- setup ---- */

static int open_listener(struct tftp_server *s, const struct tftp_server_opts *opts)
{
    static const int on = 1;
    _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0)
        return -errno;
    if (s->ifname[0]) {
        if (if_nametoindex(s->ifname) == 0)
            return -ENODEV;
        if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s->ifname, (socklen_t)strlen(s->ifname)) <
            0)
            return -errno;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port =
                                     htons(opts->port_zero ? 0 : (opts->port ? opts->port : 69)),
                             .sin_addr = opts->bind_address};
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return -errno;
    socklen_t sl = sizeof(sa);
    if (getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
        return -errno;
    s->port = ntohs(sa.sin_port);
    s->fd = TAKE_FD(fd);
    return 0;
}

static int epoll_add(int ep, int fd, void *ptr)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = ptr};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* One worker per CPU this process may run on: its affinity mask (a
 * Kubernetes cpuset, taskset), not every online CPU, so a server confined
 * to one CPU does not switch between threads that can never run at once. */
static size_t default_workers(void)
{
    cpu_set_t set;
    long n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
                                                          : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > WORKERS_MAX ? WORKERS_MAX : (size_t)n;
}

static int worker_init(struct tftp_server *s, struct worker *w)
{
    w->s = s;
    w->ep_fd = w->inbox_fd = -1;
    w->th = BASE_THREAD_INIT;
    pthread_mutex_init(&w->inbox_lock, NULL);
    w->rx = malloc(MAX_DGRAM);
    w->tx = malloc(s->tx_cap);
    w->heap = calloc(s->max_transfers, sizeof(*w->heap));
    if (!w->rx || !w->tx || !w->heap)
        return -ENOMEM;
    if (base_thread_init(&w->th) < 0)
        return -errno;
    w->ep_fd = epoll_create1(EPOLL_CLOEXEC);
    if (w->ep_fd < 0)
        return -errno;
    w->inbox_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (w->inbox_fd < 0)
        return -errno;
    int r = epoll_add(w->ep_fd, w->th.stop_fd, &tag_stop);
    if (r == 0)
        r = epoll_add(w->ep_fd, w->inbox_fd, &tag_inbox);
    return r;
}

int tftp_server_new(struct tftp_server **ret, const struct tftp_server_opts *opts)
{
    assert_return(ret && opts && opts->ipxe_dir && opts->ipxe_dir[0], -EINVAL);
    struct tftp_limits lim = opts->limits ? *opts->limits : TFTP_LIMITS_DEFAULT;
    if (tftp_limits_check(&lim) < 0)
        return -EINVAL;
    if (opts->bind_interface && strlen(opts->bind_interface) >= IF_NAMESIZE)
        return -EINVAL;
    if (opts->workers > WORKERS_MAX)
        return -EINVAL;
    struct tftp_server *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->dir_fd = s->fd = -1;
    s->limits = lim;
    s->policy = (struct tftp_path_policy){.ipxe_files = opts->ipxe_files, .serve_assets = false};
    s->single_port = opts->single_port;
    s->max_transfers = opts->max_transfers ? opts->max_transfers : 1024;
    if (opts->bind_interface)
        snprintf(s->ifname, sizeof(s->ifname), "%s", opts->bind_interface);
    s->tx_cap = (size_t)lim.blksize_max + TFTP_HEADER_SIZE;
    if (s->tx_cap < 1024)
        s->tx_cap = 1024;
    int r;
    size_t n = s->single_port ? 1 : opts->workers ? opts->workers : default_workers();
    s->workers = calloc(n, sizeof(*s->workers));
    if (!s->workers) {
        free(s);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++, s->n_workers++)
        if ((r = worker_init(s, &s->workers[i])) < 0) {
            s->n_workers++; /* partly initialised: freed like the others */
            goto fail;
        }
    s->dir_fd = open(opts->ipxe_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dir_fd < 0) {
        r = -errno;
        goto fail;
    }
    if ((r = open_listener(s, opts)) < 0 ||
        (r = epoll_add(s->workers[0].ep_fd, s->fd, &tag_listener)) < 0)
        goto fail;
    *ret = s;
    return 0;
fail:
    tftp_server_free(s);
    return r;
}

/* ---- transfers (each runs on the worker that owns it) ---- */

static void send_to_peer(struct worker *w, struct transfer *t, const void *p, size_t n)
{
    struct tftp_server *s = w->s;
    ssize_t r = t->sock >= 0 ? send(t->sock, p, n, MSG_DONTWAIT)
                             : sendto(s->fd, p, n, MSG_DONTWAIT, (struct sockaddr *)&t->peer,
                                      sizeof(t->peer));
    if (r < 0) {
        /* A full socket buffer loses the packet; the retransmit timer
         * sends it again. */
        add(&s->c.send_errors, 1);
        return;
    }
    add(&s->c.packets, 1);
    if (n > TFTP_HEADER_SIZE && ((const uint8_t *)p)[1] == TFTP_OP_DATA) {
        add(&s->c.bytes, n - TFTP_HEADER_SIZE);
        t->bytes += n - TFTP_HEADER_SIZE;
    }
}

/* Releases what a transfer holds (socket, file, machine) and its slot in
 * the active count; not its memory. */
static void transfer_release(struct tftp_server *s, struct transfer *t)
{
    add(&s->c.active, (uint64_t)-1);
    if (t->sock >= 0)
        close(t->sock);
    t->sock = -1;
    if (t->file_fd >= 0)
        close(t->file_fd);
    t->file_fd = -1;
    t->x = tftp_xfer_free(t->x);
}

/* Ends a transfer: out of the heap and epoll now, memory freed by
 * reap_dead() once no event of the current batch can point at it. */
static void transfer_free(struct worker *w, struct transfer *t)
{
    heap_remove(w, t);
    if (t->sock >= 0)
        (void)epoll_ctl(w->ep_fd, EPOLL_CTL_DEL, t->sock, NULL);
    transfer_release(w->s, t);
    t->dead = true;
    t->next_dead = w->dead;
    w->dead = t;
}

static void reap_dead(struct worker *w)
{
    while (w->dead) {
        struct transfer *t = w->dead;
        w->dead = t->next_dead;
        free(t);
    }
}

static void transfer_finish(struct worker *w, struct transfer *t)
{
    struct tftp_server *s = w->s;
    char who[INET_ADDRSTRLEN];
    int err = tftp_xfer_get_error(t->x);
    const struct tftp_xfer_stats *st = tftp_xfer_get_stats(t->x);
    add(&s->c.retransmits, st->blocks_resent);
    inet_ntop(AF_INET, &t->peer.sin_addr, who, sizeof(who));
    if (err == 0) {
        log_info("tftp transfer done", LOG_STR("file", t->name), LOG_STR("peer", who),
                 LOG_U64("bytes", t->bytes), LOG_U64("ms", now_ms() - t->started_ms),
                 LOG_U64("blksize", tftp_xfer_get_blksize(t->x)),
                 LOG_U64("resent", st->blocks_resent));
    } else {
        log_warn("tftp transfer failed", LOG_STR("file", t->name), LOG_STR("peer", who),
                 LOG_U64("bytes", t->bytes), LOG_ERRNO(err));
    }
    /* Out of "active" before it counts as finished, so a reader that sees
     * it finished never sees it still active. */
    transfer_free(w, t);
    add(err == 0 ? &s->c.done : &s->c.failed, 1);
}

/* Sends whatever the machine has queued, then reschedules or finishes. */
static void transfer_pump(struct worker *w, struct transfer *t)
{
    size_t n;
    while (tftp_xfer_next_packet(t->x, w->tx, w->s->tx_cap, &n) == 0)
        send_to_peer(w, t, w->tx, n);
    if (tftp_xfer_done(t->x)) {
        transfer_finish(w, t);
        return;
    }
    t->deadline = tftp_xfer_next_timeout_ms(t->x);
    heap_fix(w, t->heap_idx);
}

static void transfer_input(struct worker *w, struct transfer *t, const void *p, size_t n)
{
    int r = tftp_xfer_handle_packet(t->x, p, n, now_ms());
    if (r > 0 || r == -ECONNRESET)
        transfer_pump(w, t);
}

static void send_error(struct worker *w,
                       const struct sockaddr_in *peer,
                       enum tftp_error_code code,
                       const char *msg)
{
    struct tftp_server *s = w->s;
    size_t n;
    if (code < _TFTP_ERROR_MAX)
        add(&s->c.refused[code], 1);
    if (tftp_packet_write_error(w->tx, s->tx_cap, code, msg, &n) == 0 &&
        sendto(s->fd, w->tx, n, MSG_DONTWAIT, (const struct sockaddr *)peer, sizeof(*peer)) < 0)
        add(&s->c.send_errors, 1);
}

/* Opens the file a request names. Returns the fd and its size, or -errno
 * in TFTP terms (-EACCES, -ENOENT). */
static int open_file(struct tftp_server *s,
                     const struct tftp_request *req,
                     char *name,
                     size_t name_size,
                     uint64_t *ret_size)
{
    enum tftp_root root;
    _cleanup_free_ char *path = NULL;
    if (req->opcode != TFTP_OP_RRQ)
        return -EACCES; /* read-only server (RFC 1350 error 2) */
    int r = tftp_path_map(&s->policy, req->filename, req->filename_len, &root, &path);
    if (r < 0)
        return r;
    if (root != TFTP_ROOT_IPXE)
        return -ENOENT;
    /* An iPXE path is a table name, never client text: following Debian's
     * symlink (ipxe.efi -> /boot/ipxe.efi) is intended. */
    _cleanup_close_ int fd = openat(s->dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return errno == EACCES ? -EACCES : -ENOENT;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return -ENOENT;
    snprintf(name, name_size, "%s", path);
    *ret_size = (uint64_t)st.st_size;
    return TAKE_FD(fd);
}

static int
open_transfer_socket(struct tftp_server *s, const struct sockaddr_in *peer, struct in_addr local)
{
    _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    if (s->ifname[0] &&
        setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s->ifname, (socklen_t)strlen(s->ifname)) < 0)
        return -errno;
    /* Answer from the address the client wrote to, on a fresh port (the
     * server's transfer ID, RFC 1350 §4). */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = local};
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        connect(fd, (const struct sockaddr *)peer, sizeof(*peer)) < 0)
        return -errno;
    return TAKE_FD(fd);
}

/* Makes t one of w's transfers and sends its first packet. On w's thread. */
static void transfer_adopt(struct worker *w, struct transfer *t)
{
    if (t->sock >= 0) {
        int r = epoll_add(w->ep_fd, t->sock, t);
        if (r < 0) {
            add(&w->s->c.failed, 1);
            transfer_release(w->s, t);
            free(t);
            return;
        }
    }
    t->heap_idx = w->n_heap;
    t->deadline = UINT64_MAX;
    w->heap[w->n_heap++] = t;
    transfer_pump(w, t);
}

/* Hands t to the next worker (round robin); the listener's own worker
 * adopts directly. */
static void transfer_dispatch(struct worker *lw, struct transfer *t)
{
    struct tftp_server *s = lw->s;
    struct worker *w = &s->workers[s->next_worker++ % s->n_workers];
    if (w == lw) {
        transfer_adopt(w, t);
        return;
    }
    pthread_mutex_lock(&w->inbox_lock);
    t->next_inbox = w->inbox;
    w->inbox = t;
    pthread_mutex_unlock(&w->inbox_lock);
    uint64_t one = 1;
    if (write(w->inbox_fd, &one, sizeof(one)) < 0) {
        /* Only EAGAIN (the counter is saturated): the worker is woken
         * already. */
    }
}

static void inbox_readable(struct worker *w)
{
    uint64_t v;
    if (read(w->inbox_fd, &v, sizeof(v)) < 0) {
        /* EAGAIN: a racing wakeup; the list below is the truth. */
    }
    pthread_mutex_lock(&w->inbox_lock);
    struct transfer *list = w->inbox;
    w->inbox = NULL;
    pthread_mutex_unlock(&w->inbox_lock);
    while (list) {
        struct transfer *t = list;
        list = t->next_inbox;
        t->next_inbox = NULL;
        transfer_adopt(w, t);
    }
}

/* Reserves a slot under max_transfers across every worker. */
static bool slot_reserve(struct tftp_server *s)
{
    uint64_t was = atomic_fetch_add_explicit(&s->c.active, 1, memory_order_relaxed);
    if (was < s->max_transfers)
        return true;
    add(&s->c.active, (uint64_t)-1);
    return false;
}

static void start_transfer(struct worker *w,
                           const struct tftp_request *req,
                           const struct sockaddr_in *peer,
                           struct in_addr local)
{
    struct tftp_server *s = w->s;
    char name[64];
    uint64_t size = 0;
    int r;
    if (!slot_reserve(s)) {
        add(&s->c.busy, 1);
        send_error(w, peer, TFTP_ERROR_UNDEFINED, "server busy");
        return;
    }
    int fd = open_file(s, req, name, sizeof(name), &size);
    if (fd < 0) {
        add(&s->c.active, (uint64_t)-1);
        send_error(w, peer, tftp_error_code_from_errno(fd), NULL);
        return;
    }
    struct transfer *t = calloc(1, sizeof(*t));
    if (!t) {
        close(fd);
        add(&s->c.active, (uint64_t)-1);
        send_error(w, peer, TFTP_ERROR_UNDEFINED, "out of memory");
        return;
    }
    t->file_fd = fd;
    t->sock = -1;
    t->peer = *peer;
    t->started_ms = now_ms();
    snprintf(t->name, sizeof(t->name), "%s", name);
    r = tftp_xfer_new(&t->x, req, &s->limits, size, tftp_read_pread, &t->file_fd, t->started_ms);
    if (r == 0 && !s->single_port) {
        t->sock = open_transfer_socket(s, peer, local);
        r = t->sock < 0 ? t->sock : 0;
    }
    if (r < 0) {
        transfer_release(s, t);
        free(t);
        send_error(w, peer, tftp_error_code_from_errno(r), NULL);
        return;
    }
    add(&s->c.started, 1);
    transfer_dispatch(w, t);
}

/* Single-port mode: the running transfer of this peer, or NULL. Linear in
 * the number of transfers, which max_transfers bounds. */
static struct transfer *find_by_peer(struct worker *w, const struct sockaddr_in *peer)
{
    for (size_t i = 0; i < w->n_heap; i++)
        if (w->heap[i]->peer.sin_addr.s_addr == peer->sin_addr.s_addr &&
            w->heap[i]->peer.sin_port == peer->sin_port)
            return w->heap[i];
    return NULL;
}

static void listener_datagram(struct worker *w,
                              size_t n,
                              const struct sockaddr_in *peer,
                              struct in_addr local)
{
    struct tftp_server *s = w->s;
    if (s->single_port) {
        struct transfer *t = find_by_peer(w, peer);
        if (t) {
            transfer_input(w, t, w->rx, n);
            return;
        }
    }
    struct tftp_request req;
    struct tftp_parse_error why = {0};
    int r = tftp_request_parse(w->rx, n, &req, &why);
    if (r == -EBADMSG || r == -EINVAL) {
        add(&s->c.malformed, 1); /* no answer: it may not even be TFTP */
        return;
    }
    add(&s->c.requests, 1);
    if (r < 0) {
        send_error(w, peer, tftp_error_code_from_errno(r), why.reason);
        return;
    }
    start_transfer(w, &req, peer, local);
}

static void listener_readable(struct worker *w)
{
    struct tftp_server *s = w->s;
    for (int i = 0; i < RECV_BATCH; i++) {
        union {
            char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
            struct cmsghdr align;
        } control;
        struct sockaddr_in peer;
        struct iovec iov = {.iov_base = w->rx, .iov_len = MAX_DGRAM - 1};
        struct msghdr mh = {.msg_name = &peer,
                            .msg_namelen = sizeof(peer),
                            .msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = control.buf,
                            .msg_controllen = sizeof(control.buf)};
        ssize_t n = recvmsg(s->fd, &mh, MSG_DONTWAIT);
        if (n < 0)
            return;
        struct in_addr local = {0};
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
            if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
                struct in_pktinfo pi;
                memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
                local = pi.ipi_spec_dst;
            }
        if (mh.msg_namelen < sizeof(peer) || peer.sin_family != AF_INET) {
            add(&s->c.malformed, 1);
            continue;
        }
        w->rx[n] = 0;
        listener_datagram(w, (size_t)n, &peer, local);
    }
}

static void transfer_readable(struct worker *w, struct transfer *t)
{
    for (int i = 0; i < RECV_BATCH; i++) {
        ssize_t n = recv(t->sock, w->rx, MAX_DGRAM - 1, MSG_DONTWAIT);
        if (n < 0)
            return; /* EAGAIN, or ICMP port unreachable: the timer decides */
        int r = tftp_xfer_handle_packet(t->x, w->rx, (size_t)n, now_ms());
        if (r > 0 || r == -ECONNRESET) {
            transfer_pump(w, t); /* may free t */
            return;
        }
    }
}

static void run_timers(struct worker *w)
{
    uint64_t now = now_ms();
    while (w->n_heap > 0 && w->heap[0]->deadline <= now) {
        struct transfer *t = w->heap[0];
        int r = tftp_xfer_handle_timeout(t->x, now);
        if (r != 0)
            add(&w->s->c.timeouts, 1);
        if (r == 0 && !tftp_xfer_done(t->x) && tftp_xfer_next_timeout_ms(t->x) <= now) {
            /* The machine did not move its deadline: never spin. */
            t->deadline = now + 1;
            heap_fix(w, 0);
            continue;
        }
        transfer_pump(w, t);
    }
}

static int next_wait_ms(struct worker *w)
{
    if (w->n_heap == 0)
        return -1;
    uint64_t now = now_ms(), d = w->heap[0]->deadline;
    if (d <= now)
        return 0;
    return d - now > 60000 ? 60000 : (int)(d - now);
}

static void *serve(void *arg)
{
    struct worker *w = arg;
    struct epoll_event ev[EPOLL_BATCH];
    for (;;) {
        int n = epoll_wait(w->ep_fd, ev, EPOLL_BATCH, next_wait_ms(w));
        if (n < 0 && errno != EINTR) {
            log_error("epoll failed, TFTP worker stops", LOG_ERRNO(-errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            if (ev[i].data.ptr == &tag_stop)
                return NULL;
            if (ev[i].data.ptr == &tag_listener)
                listener_readable(w);
            else if (ev[i].data.ptr == &tag_inbox)
                inbox_readable(w);
        }
        /* Transfers after the listener; one finished by an earlier event of
         * this batch is marked dead and skipped. */
        for (int i = 0; i < n; i++) {
            struct transfer *t = ev[i].data.ptr;
            if (t != (void *)&tag_stop && t != (void *)&tag_listener &&
                t != (void *)&tag_inbox && !t->dead)
                transfer_readable(w, t);
        }
        run_timers(w);
        reap_dead(w);
    }
    return NULL;
}

int tftp_server_stop(struct tftp_server *s)
{
    assert_return(s, -EINVAL);
    for (size_t i = 0; i < s->n_workers; i++)
        (void)base_thread_stop(&s->workers[i].th);
    s->started = false;
    return 0;
}

int tftp_server_start(struct tftp_server *s)
{
    assert_return(s && !s->started, -EINVAL);
    for (size_t i = 0; i < s->n_workers; i++) {
        int r = base_thread_start(&s->workers[i].th, serve, &s->workers[i]);
        if (r < 0) {
            (void)tftp_server_stop(s);
            return r;
        }
    }
    s->started = true;
    return 0;
}

static void worker_done(struct worker *w)
{
    while (w->n_heap > 0)
        transfer_free(w, w->heap[w->n_heap - 1]);
    reap_dead(w);
    while (w->inbox) {
        struct transfer *t = w->inbox;
        w->inbox = t->next_inbox;
        transfer_release(w->s, t);
        free(t);
    }
    if (w->ep_fd >= 0)
        close(w->ep_fd);
    if (w->inbox_fd >= 0)
        close(w->inbox_fd);
    base_thread_done(&w->th);
    pthread_mutex_destroy(&w->inbox_lock);
    free(w->heap);
    free(w->rx);
    free(w->tx);
}

struct tftp_server *tftp_server_free(struct tftp_server *s)
{
    if (!s)
        return NULL;
    (void)tftp_server_stop(s);
    for (size_t i = 0; i < s->n_workers; i++)
        worker_done(&s->workers[i]);
    free(s->workers);
    if (s->fd >= 0)
        close(s->fd);
    if (s->dir_fd >= 0)
        close(s->dir_fd);
    free(s);
    return NULL;
}

int tftp_server_port(const struct tftp_server *s)
{
    return s ? (int)s->port : -1;
}

size_t tftp_server_workers(const struct tftp_server *s)
{
    return s ? s->n_workers : 0;
}

int tftp_server_get_stats(const struct tftp_server *s, struct tftp_server_stats *ret)
{
    assert_return(s && ret, -EINVAL);
    struct tftp_server *m = (struct tftp_server *)s;
    struct tftp_server_stats st = {
            .requests = atomic_load(&m->c.requests),
            .malformed = atomic_load(&m->c.malformed),
            .busy = atomic_load(&m->c.busy),
            .transfers_started = atomic_load(&m->c.started),
            .transfers_done = atomic_load(&m->c.done),
            .transfers_failed = atomic_load(&m->c.failed),
            .active = atomic_load(&m->c.active),
            .bytes_sent = atomic_load(&m->c.bytes),
            .packets_sent = atomic_load(&m->c.packets),
            .retransmits = atomic_load(&m->c.retransmits),
            .timeouts = atomic_load(&m->c.timeouts),
            .send_errors = atomic_load(&m->c.send_errors),
    };
    for (size_t i = 0; i < _TFTP_ERROR_MAX; i++)
        st.refused[i] = atomic_load(&m->c.refused[i]);
    *ret = st;
    return 0;
}
