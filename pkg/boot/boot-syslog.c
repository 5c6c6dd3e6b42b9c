/* SPDX-License-Identifier: Apache-2.0 */
/* Syslog receiver: UDP :514, each message re-logged with its Hardware. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOG_COMPONENT "syslog"
#include "base/json-cleanup.h"
#include "boot/boot-syslog.h"
#include "informer/informer.h"
#include "base/thread.h"
#include "log/log.h"
#include "syslog/syslog.h"

struct boot_syslog {
    int fd;
    struct base_thread th; /* the serving thread and its stop eventfd */
    uint16_t port;
    struct store *store; /* reference */
    struct boot_counters *counters;
    uint8_t *buf;
};

int boot_syslog_new(struct boot_syslog **ret,
                    struct in_addr bind_address,
                    uint16_t port,
                    struct store *store,
                    struct boot_counters *counters)
{
    static const int on = 1;
    assert_return(ret && store && counters, -EINVAL);
    struct boot_syslog *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->fd = -1;
    s->th = BASE_THREAD_INIT;
    s->counters = counters;
    s->store = store_ref(store);
    s->buf = malloc(SYSLOG_DATAGRAM_MAX);
    int r = -ENOMEM;
    if (!s->buf)
        goto fail;
    s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    (void)base_thread_init(&s->th);
    if (s->fd < 0 || s->th.stop_fd < 0) {
        r = -errno;
        goto fail;
    }
    struct sockaddr_in sa = {
            .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = bind_address};
    socklen_t sl = sizeof(sa);
    if (setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
        bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        getsockname(s->fd, (struct sockaddr *)&sa, &sl) < 0) {
        r = -errno;
        goto fail;
    }
    s->port = ntohs(sa.sin_port);
    *ret = s;
    return 0;
fail:
    boot_syslog_free(s);
    return r;
}

/* The MAC the kernel's ARP table has for this IPv4 address (lowercase,
 * colons) in mac[18], or -ENOENT. */
static int mac_by_neighbour(const char *ip, char mac[static 18])
{
    FILE *f = fopen("/proc/net/arp", "re");
    if (!f)
        return -errno;
    char line[256], a[64], m[64];
    unsigned type, flags;
    int r = -ENOENT;
    while (fgets(line, sizeof(line), f)) {
        /* "IP address  HW type  Flags  HW address  Mask  Device"; flag 0x2 = complete. */
        if (sscanf(line, "%63s %x %x %63s", a, &type, &flags, m) == 4 && strcmp(a, ip) == 0 &&
            strlen(m) == 17 && (flags & 0x2) && strcmp(m, "00:00:00:00:00:00") != 0) {
            memcpy(mac, m, 18);
            r = 0;
            break;
        }
    }
    fclose(f);
    return r;
}

/* "namespace/name" of the Hardware with this address, or "" (buffer). A
 * Hardware that names no address (discovered machines, ProxyDHCP sites) is
 * found by the MAC the ARP table has for the address. */
static void hardware_by_ip(struct store *store, const char *ip, char *out, size_t n)
{
    _cleanup_json_ json_t *list = NULL;
    char mac[18];
    out[0] = '\0';
    if (store_by_index(store, STORE_INDEX_IP, ip, &list) < 0 || json_array_size(list) == 0) {
        json_decref(TAKE_PTR(list));
        if (mac_by_neighbour(ip, mac) < 0 ||
            store_by_index(store, STORE_INDEX_MAC, mac, &list) < 0 || json_array_size(list) == 0)
            return;
    }
    _cleanup_free_ char *key = NULL;
    if (store_key_of(json_array_get(list, 0), &key) == 0)
        snprintf(out, n, "%s", key);
}

void boot_syslog_handle(struct store *store,
                        struct boot_counters *counters,
                        const void *data,
                        size_t len,
                        const char *peer)
{
    _cleanup_syslog_message_ struct syslog_message *m = NULL;
    char hw[STORE_KEY_MAX + 1];
    if (syslog_message_parse(data, len, &m) < 0) {
        atomic_fetch_add(&counters->syslog_malformed, 1);
        return;
    }
    atomic_fetch_add(&counters->syslog_lines, 1);
    hardware_by_ip(store, peer, hw, sizeof(hw));
    if (!hw[0])
        atomic_fetch_add(&counters->syslog_unknown_host, 1);
    log_info("syslog message", LOG_STR("source", peer), LOG_STR("hardware", hw),
             LOG_STR("format", syslog_format_to_string(m->format)),
             LOG_STR("facility", syslog_facility_to_string(m->facility)),
             LOG_STR("severity", syslog_severity_to_string(m->severity)),
             LOG_STR("host", m->hostname), LOG_STR("app", m->app), LOG_STR("procid", m->procid),
             LOG_STR("text", m->message));
}

static void *serve(void *arg)
{
    struct boot_syslog *s = arg;
    struct pollfd p[2] = {{.fd = s->fd, .events = POLLIN}, {.fd = s->th.stop_fd, .events = POLLIN}};
    for (;;) {
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        for (int i = 0; i < 64; i++) {
            struct sockaddr_in peer;
            socklen_t pl = sizeof(peer);
            ssize_t n = recvfrom(s->fd, s->buf, SYSLOG_DATAGRAM_MAX, MSG_DONTWAIT,
                                 (struct sockaddr *)&peer, &pl);
            if (n < 0)
                break;
            char who[INET_ADDRSTRLEN];
            if (!inet_ntop(AF_INET, &peer.sin_addr, who, sizeof(who)))
                continue;
            boot_syslog_handle(s->store, s->counters, s->buf, (size_t)n, who);
        }
    }
    return NULL;
}

int boot_syslog_start(struct boot_syslog *s)
{
    assert_return(s && !s->th.running, -EINVAL);
    return base_thread_start(&s->th, serve, s);
}

int boot_syslog_stop(struct boot_syslog *s)
{
    assert_return(s, -EINVAL);
    return base_thread_stop(&s->th);
}

int boot_syslog_port(const struct boot_syslog *s)
{
    return s ? (int)s->port : -1;
}

struct boot_syslog *boot_syslog_free(struct boot_syslog *s)
{
    if (!s)
        return NULL;
    (void)boot_syslog_stop(s);
    if (s->fd >= 0)
        close(s->fd);
    base_thread_done(&s->th);
    store_unref(s->store);
    free(s->buf);
    free(s);
    return NULL;
}
