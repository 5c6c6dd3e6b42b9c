/* SPDX-License-Identifier: Apache-2.0 */
/* DHCP UDP transport: socket setup, receive loop, reply routing. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LOG_COMPONENT "dhcp"
#include "dhcp/dhcp-server.h"
#include "base/thread.h"
#include "log/log.h"

/* Per-peer warnings: at most one per peer address per interval. */
#define WARN_SLOTS       64
#define WARN_INTERVAL_MS 10000u
/* Datagrams read by one recvmmsg() and answered by one sendmmsg(). */
#define RECV_BATCH 16
/* Reads per wakeup before poll() looks at the stop descriptor again. */
#define READS_PER_WAKEUP 8

struct warn_slot {
    uint32_t addr;
    uint64_t last_ms;
};

struct counters {
    atomic_uint_fast64_t received, malformed, wrong_interface, relayed;
    atomic_uint_fast64_t lookup_errors, decide_errors, send_errors, conflicts, stale;
    atomic_uint_fast64_t ignored[_DHCP_IGNORE_MAX];
    atomic_uint_fast64_t replies[_DHCP_MESSAGE_MAX];
};

/* Ancillary data of one received datagram: arrival interface and local
 * address (IP_PKTINFO), kernel receive time (SO_TIMESTAMPNS). */
union rx_control {
    char buf[CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(struct timespec))];
    struct cmsghdr align;
};

union tx_control {
    char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
    struct cmsghdr align;
};

/* The receive and send batches (socket servers only). */
struct batch {
    struct mmsghdr rx[RECV_BATCH];
    struct iovec rx_iov[RECV_BATCH];
    struct sockaddr_in rx_peer[RECV_BATCH];
    union rx_control rx_control[RECV_BATCH];
    struct mmsghdr tx[RECV_BATCH];
    struct iovec tx_iov[RECV_BATCH];
    union tx_control tx_control[RECV_BATCH];
    struct dhcp_server_reply tx_reply[RECV_BATCH];
};

struct dhcp_server {
    struct dhcp_config config;
    struct dhcp_server_lookup lookup;
    char ifname[IF_NAMESIZE];
    int ifindex; /* 0 = every interface */
    uint16_t port, client_port;
    int fd;
    struct base_thread th; /* the serving thread and its stop eventfd */
    struct counters c;
    struct warn_slot warn[WARN_SLOTS];
    uint64_t stale_ms;
    uint8_t *rxbuf; /* RECV_BATCH buffers of DHCP_PACKET_MAX_SIZE + 1 bytes */
    struct batch *batch;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void count(atomic_uint_fast64_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* True when a warning about this peer may be logged now (rate limit). */
static bool warn_allowed(struct dhcp_server *s, const struct sockaddr_in *peer)
{
    uint32_t a = peer ? peer->sin_addr.s_addr : 0;
    struct warn_slot *w = &s->warn[(a ^ (a >> 16)) % WARN_SLOTS];
    uint64_t t = now_ms();
    if (w->addr == a && w->last_ms != 0 && t - w->last_ms < WARN_INTERVAL_MS)
        return false;
    w->addr = a;
    w->last_ms = t ? t : 1;
    return true;
}

static void peer_string(const struct sockaddr_in *peer, char *out, size_t n)
{
    if (!peer || !inet_ntop(AF_INET, &peer->sin_addr, out, (socklen_t)n))
        snprintf(out, n, "?");
}

static int check_config(const struct dhcp_config *cfg)
{
    if (!cfg || cfg->public_ip.s_addr == 0 || (unsigned)cfg->mode >= _DHCP_MODE_MAX)
        return -EINVAL;
    if (cfg->n_arch_overrides > 0 && !cfg->arch_overrides)
        return -EINVAL;
    return 0;
}

static int server_alloc(struct dhcp_server **ret, const struct dhcp_server_opts *opts)
{
    assert_return(ret && opts, -EINVAL);
    int r = check_config(opts->config);
    if (r < 0)
        return r;
    if (opts->bind_interface && strlen(opts->bind_interface) >= IF_NAMESIZE)
        return -EINVAL;
    struct dhcp_server *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->config = *opts->config;
    s->lookup = opts->lookup;
    s->port = opts->port ? opts->port : DHCP_PORT_SERVER;
    s->client_port = opts->client_port ? opts->client_port : DHCP_PORT_CLIENT;
    s->fd = -1;
    s->th = BASE_THREAD_INIT;
    s->stale_ms = opts->stale_ms == 0                        ? DHCP_SERVER_STALE_MS_DEFAULT
                  : opts->stale_ms == DHCP_SERVER_STALE_NEVER ? UINT64_MAX
                                                              : opts->stale_ms;
    if (opts->bind_interface)
        snprintf(s->ifname, sizeof(s->ifname), "%s", opts->bind_interface);
    *ret = s;
    return 0;
}

int dhcp_server_new_detached(struct dhcp_server **ret,
                             const struct dhcp_server_opts *opts,
                             int ifindex)
{
    struct dhcp_server *s;
    int r = server_alloc(&s, opts);
    if (r < 0)
        return r;
    s->ifindex = ifindex > 0 ? ifindex : 0;
    *ret = s;
    return 0;
}

static int open_socket(struct dhcp_server *s, const struct dhcp_server_opts *opts)
{
    static const int on = 1;
    _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)) < 0 ||
        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0)
        return -errno;
    int rcvbuf = opts->rcvbuf > 0 ? opts->rcvbuf : 4 * 1024 * 1024;
    /* Bursts of DISCOVERs must queue, not drop: FORCE needs CAP_NET_ADMIN,
     * the plain option is capped by net.core.rmem_max. Best effort. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (s->ifname[0]) {
        s->ifindex = (int)if_nametoindex(s->ifname);
        if (s->ifindex == 0)
            return -ENODEV;
        if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s->ifname, (socklen_t)strlen(s->ifname)) <
            0)
            return -errno;
    }
    struct sockaddr_in sa = {
            .sin_family = AF_INET, .sin_port = htons(s->port), .sin_addr = opts->bind_address};
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return -errno;
    socklen_t sl = sizeof(sa);
    if (getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
        return -errno;
    s->port = ntohs(sa.sin_port);
    s->fd = TAKE_FD(fd);
    return 0;
}

int dhcp_server_new(struct dhcp_server **ret, const struct dhcp_server_opts *opts)
{
    struct dhcp_server *s;
    int r = server_alloc(&s, opts);
    if (r < 0)
        return r;
    s->rxbuf = malloc((size_t)RECV_BATCH * (DHCP_PACKET_MAX_SIZE + 1));
    s->batch = calloc(1, sizeof(*s->batch));
    int tr = base_thread_init(&s->th);
    if (!s->rxbuf || !s->batch || tr < 0) {
        r = s->rxbuf && s->batch ? -errno : -ENOMEM;
        dhcp_server_free(s);
        return r;
    }
    r = open_socket(s, opts);
    if (r < 0) {
        dhcp_server_free(s);
        return r;
    }
    *ret = s;
    return 0;
}

/* Looks the client up, decides and builds. 1 = reply in *ret. */
static int decide_and_build(struct dhcp_server *s,
                            const struct dhcp_packet *req,
                            const struct sockaddr_in *peer,
                            struct dhcp_server_reply *ret)
{
    struct dhcp_reservation res;
    void *hold = NULL;
    int found = 0, r;
    char who[INET_ADDRSTRLEN];

    if (s->lookup.find && dhcp_packet_htype(req) == DHCP_HTYPE_ETHER &&
        dhcp_packet_hlen(req) == DHCP_ETHER_ADDR_LEN) {
        memset(&res, 0, sizeof(res));
        found = s->lookup.find(s->lookup.userdata, dhcp_packet_chaddr(req), &res, &hold);
        if (found < 0) {
            count(found == -ENOTUNIQ ? &s->c.conflicts : &s->c.lookup_errors);
            if (warn_allowed(s, peer)) {
                const uint8_t *m = dhcp_packet_chaddr(req);
                char mac[18];
                snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
                         m[4], m[5]);
                log_warn(found == -ENOTUNIQ ? "MAC claimed by Hardware with different addresses, "
                                              "not answering"
                                            : "Hardware lookup failed",
                         LOG_STR("mac", mac), LOG_ERRNO(found));
            }
            return 0;
        }
    }
    struct dhcp_decision d;
    r = dhcp_decide(req, &s->config, found > 0 ? &res : NULL, &d);
    if (r == 0 && d.ignore != DHCP_IGNORE_NONE) {
        count(&s->c.ignored[d.ignore]);
        if (d.ignore == DHCP_IGNORE_DECLINE && warn_allowed(s, peer)) {
            peer_string(peer, who, sizeof(who));
            log_warn("DHCPDECLINE: a reserved address is in use by another host",
                     LOG_STR("peer", who), LOG_HEX("xid", dhcp_packet_xid(req)));
        }
        r = 0;
        goto out;
    }
    if (r == 0) {
        r = dhcp_reply_build(req, &d.reply, &ret->data, &ret->len);
        if (r == 0) {
            ret->dest = (struct sockaddr_in){
                    .sin_family = AF_INET, .sin_addr = d.dest.addr, .sin_port = htons(d.dest.port)};
            ret->broadcast = d.dest.addr.s_addr == htonl(INADDR_BROADCAST);
            /* Tests and benches move the client port; relays keep 67. */
            if (d.dest.port == DHCP_PORT_CLIENT)
                ret->dest.sin_port = htons(s->client_port);
            if (d.dest.port == DHCP_PORT_SERVER && s->port != DHCP_PORT_SERVER)
                ret->dest.sin_port = htons(s->port);
            if (d.reply.type < _DHCP_MESSAGE_MAX)
                count(&s->c.replies[d.reply.type]);
            if (dhcp_packet_giaddr(req).s_addr != 0)
                count(&s->c.relayed);
            r = 1;
            goto out;
        }
    }
    count(&s->c.decide_errors);
    if (warn_allowed(s, peer)) {
        peer_string(peer, who, sizeof(who));
        log_warn("cannot answer DHCP request", LOG_STR("peer", who),
                 LOG_HEX("xid", dhcp_packet_xid(req)), LOG_ERRNO(r));
    }
    r = 0;
out:
    if (found > 0 && s->lookup.release)
        s->lookup.release(s->lookup.userdata, hold);
    return r;
}

int dhcp_server_handle_queued(struct dhcp_server *s,
                              const void *data,
                              size_t len,
                              int ifindex,
                              const struct sockaddr_in *peer,
                              uint64_t queued_ms,
                              struct dhcp_server_reply *ret)
{
    assert_return(s && (data || len == 0) && ret, -EINVAL);
    count(&s->c.received);
    if (s->ifindex > 0 && ifindex > 0 && ifindex != s->ifindex) {
        count(&s->c.wrong_interface);
        return 0;
    }
    _cleanup_dhcp_packet_ struct dhcp_packet *req = NULL;
    int r = dhcp_packet_parse(data, len, &req);
    if (r < 0) {
        /* Malformed input is counted, not logged per packet (STYLE). */
        count(&s->c.malformed);
        if (log_enabled(LOG_LEVEL_DEBUG) && warn_allowed(s, peer)) {
            char who[INET_ADDRSTRLEN];
            peer_string(peer, who, sizeof(who));
            log_debug("malformed DHCP packet dropped", LOG_STR("peer", who), LOG_U64("len", len),
                      LOG_ERRNO(r));
        }
        return 0;
    }
    if (queued_ms > s->stale_ms && dhcp_packet_message_type(req) == DHCP_DISCOVER) {
        /* Overloaded: shed the oldest new exchanges, not the REQUESTs that
         * finish exchanges already offered. Counted, never logged. */
        count(&s->c.stale);
        return 0;
    }
    struct dhcp_server_reply out = {0};
    r = decide_and_build(s, req, peer, &out);
    if (r > 0)
        *ret = out;
    return r;
}

int dhcp_server_handle_datagram(struct dhcp_server *s,
                                const void *data,
                                size_t len,
                                int ifindex,
                                const struct sockaddr_in *peer,
                                struct dhcp_server_reply *ret)
{
    return dhcp_server_handle_queued(s, data, len, ifindex, peer, 0, ret);
}

/* Fills one sendmmsg() slot for rep: leave by the interface the request
 * came in on, from the address it was sent to (or the interface's primary
 * address for a broadcast): a multi-homed host must not answer on another
 * link. */
static void tx_prepare(struct batch *b, size_t i, int ifindex, struct in_addr local)
{
    struct dhcp_server_reply *rep = &b->tx_reply[i];
    struct msghdr *mh = &b->tx[i].msg_hdr;
    b->tx_iov[i] = (struct iovec){.iov_base = rep->data, .iov_len = rep->len};
    *mh = (struct msghdr){.msg_name = &rep->dest,
                          .msg_namelen = sizeof(rep->dest),
                          .msg_iov = &b->tx_iov[i],
                          .msg_iovlen = 1};
    memset(&b->tx_control[i], 0, sizeof(b->tx_control[i]));
    if (ifindex > 0 || local.s_addr != 0) {
        mh->msg_control = b->tx_control[i].buf;
        mh->msg_controllen = sizeof(b->tx_control[i].buf);
        struct cmsghdr *cm = CMSG_FIRSTHDR(mh);
        cm->cmsg_level = IPPROTO_IP;
        cm->cmsg_type = IP_PKTINFO;
        cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
        struct in_pktinfo pi = {.ipi_ifindex = rep->broadcast ? ifindex : 0, .ipi_spec_dst = local};
        memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
    }
}

static void send_failed(struct dhcp_server *s, const struct dhcp_server_reply *rep, int r)
{
    count(&s->c.send_errors);
    if (warn_allowed(s, &rep->dest)) {
        char who[INET_ADDRSTRLEN];
        peer_string(&rep->dest, who, sizeof(who));
        log_warn("cannot send DHCP reply", LOG_STR("dest", who), LOG_ERRNO(r));
    }
}

/* Sends the first n prepared replies with as few sendmmsg() calls as the
 * errors allow (one failed datagram is counted and skipped), then frees
 * them. */
static void tx_flush(struct dhcp_server *s, size_t n)
{
    struct batch *b = s->batch;
    size_t done = 0;
    while (done < n) {
        int k = sendmmsg(s->fd, &b->tx[done], (unsigned)(n - done), MSG_DONTWAIT);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            send_failed(s, &b->tx_reply[done], k < 0 ? -errno : -EIO);
            done++;
            continue;
        }
        done += (size_t)k;
    }
    for (size_t i = 0; i < n; i++) {
        free(b->tx_reply[i].data);
        b->tx_reply[i].data = NULL;
    }
}

uint64_t dhcp_server_queued_ms(const struct timespec *received, const struct timespec *now)
{
    if (!received || !now || (received->tv_sec == 0 && received->tv_nsec == 0))
        return 0;
    int64_t ns = ((int64_t)now->tv_sec - (int64_t)received->tv_sec) * 1000000000 +
                 ((int64_t)now->tv_nsec - (int64_t)received->tv_nsec);
    return ns > 0 ? (uint64_t)ns / 1000000u : 0; /* the clock may have been set back */
}

/* Reads up to RECV_BATCH datagrams with one recvmmsg() and answers them
 * with one sendmmsg(). Returns how many were read (0: the socket is
 * empty). */
static int receive_batch(struct dhcp_server *s)
{
    struct batch *b = s->batch;
    for (size_t i = 0; i < RECV_BATCH; i++) {
        b->rx_iov[i] = (struct iovec){.iov_base = s->rxbuf + i * (DHCP_PACKET_MAX_SIZE + 1),
                                      .iov_len = DHCP_PACKET_MAX_SIZE + 1};
        b->rx[i].msg_hdr = (struct msghdr){.msg_name = &b->rx_peer[i],
                                           .msg_namelen = sizeof(b->rx_peer[i]),
                                           .msg_iov = &b->rx_iov[i],
                                           .msg_iovlen = 1,
                                           .msg_control = b->rx_control[i].buf,
                                           .msg_controllen = sizeof(b->rx_control[i].buf)};
        b->rx[i].msg_len = 0;
    }
    int n = recvmmsg(s->fd, b->rx, RECV_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0)
        return 0;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now); /* the clock of SO_TIMESTAMPNS */
    size_t ntx = 0;
    for (int i = 0; i < n; i++) {
        struct msghdr *mh = &b->rx[i].msg_hdr;
        int ifindex = 0;
        struct in_addr local = {0};
        struct timespec stamp = {0};
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
            if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
                struct in_pktinfo pi;
                memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
                ifindex = pi.ipi_ifindex;
                local = pi.ipi_spec_dst;
            } else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS &&
                       cm->cmsg_len >= CMSG_LEN(sizeof(stamp)))
                memcpy(&stamp, CMSG_DATA(cm), sizeof(stamp));
        }
        if (mh->msg_flags & MSG_TRUNC) {
            count(&s->c.received);
            count(&s->c.malformed); /* larger than any UDP payload we accept */
            continue;
        }
        struct dhcp_server_reply rep = {0};
        if (dhcp_server_handle_queued(s, b->rx_iov[i].iov_base, b->rx[i].msg_len, ifindex,
                                      &b->rx_peer[i], dhcp_server_queued_ms(&stamp, &now), &rep) > 0) {
            b->tx_reply[ntx] = rep;
            tx_prepare(b, ntx, ifindex, local);
            ntx++;
        }
    }
    tx_flush(s, ntx);
    return n;
}

static void *serve(void *arg)
{
    struct dhcp_server *s = arg;
    struct pollfd p[2] = {{.fd = s->fd, .events = POLLIN}, {.fd = s->th.stop_fd, .events = POLLIN}};
    for (;;) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            log_error("poll failed, DHCP server stops", LOG_ERRNO(-errno));
            break;
        }
        if (p[1].revents)
            break;
        for (int i = 0; i < READS_PER_WAKEUP; i++)
            if (receive_batch(s) < RECV_BATCH)
                break;
    }
    return NULL;
}

int dhcp_server_start(struct dhcp_server *s)
{
    assert_return(s && s->fd >= 0 && !s->th.running, -EINVAL);
    return base_thread_start(&s->th, serve, s);
}

int dhcp_server_stop(struct dhcp_server *s)
{
    assert_return(s, -EINVAL);
    return base_thread_stop(&s->th);
}

struct dhcp_server *dhcp_server_free(struct dhcp_server *s)
{
    if (!s)
        return NULL;
    (void)dhcp_server_stop(s);
    if (s->fd >= 0)
        close(s->fd);
    base_thread_done(&s->th);
    free(s->rxbuf);
    free(s->batch);
    free(s);
    return NULL;
}

int dhcp_server_port(const struct dhcp_server *s)
{
    return s ? (int)s->port : -1;
}

int dhcp_server_get_stats(const struct dhcp_server *s, struct dhcp_server_stats *ret)
{
    assert_return(s && ret, -EINVAL);
    struct dhcp_server *m = (struct dhcp_server *)s; /* atomics are read-only here */
    struct dhcp_server_stats st = {
            .received = atomic_load(&m->c.received),
            .malformed = atomic_load(&m->c.malformed),
            .wrong_interface = atomic_load(&m->c.wrong_interface),
            .relayed = atomic_load(&m->c.relayed),
            .lookup_errors = atomic_load(&m->c.lookup_errors),
            .decide_errors = atomic_load(&m->c.decide_errors),
            .send_errors = atomic_load(&m->c.send_errors),
            .conflicts = atomic_load(&m->c.conflicts),
            .stale = atomic_load(&m->c.stale),
    };
    for (size_t i = 0; i < _DHCP_IGNORE_MAX; i++)
        st.ignored[i] = atomic_load(&m->c.ignored[i]);
    for (size_t i = 0; i < _DHCP_MESSAGE_MAX; i++)
        st.replies[i] = atomic_load(&m->c.replies[i]);
    *ret = st;
    return 0;
}
