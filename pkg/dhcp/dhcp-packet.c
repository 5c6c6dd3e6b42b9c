/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parsing of received BOOTP/DHCP messages (RFC 2131 §2, §4.1; RFC 2132;
 * RFC 3396) and the typed accessors over the result.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/dhcp-internal.h"

enum parse_field {
    FIELD_OPTIONS,
    FIELD_FILE,
    FIELD_SNAME,
};

struct parse_ctx {
    struct dhcp_packet *p;
    enum parse_field field;
    bool copying;
    size_t total[256];
    size_t filled[256];
    const uint8_t *overload_value; /* last option 52 seen in the options field */
};

static int visit_option(uint8_t code, const uint8_t *data, uint8_t len, void *userdata)
{
    struct parse_ctx *c = userdata;

    if (code == DHCP_OPTION_OVERLOAD) {
        /* RFC 2131 §4.1: option 52 "MUST appear in the 'options' field";
         * one found inside an overloaded field points at garbage. */
        if (c->field != FIELD_OPTIONS)
            return -EBADMSG;
        if (len > 0)
            c->overload_value = data;
    }

    if (!c->copying) {
        c->total[code] += len;
        c->p->options[code].present = true;
        return 0;
    }

    /* RFC 2131 §4.1: "The client concatenates the values of multiple
     * instances of the same option into a single parameter list for
     * configuration." RFC 3396 §5 fixes the order: "The aggregate option
     * buffer is made up of the optional parameters field, the file field,
     * and the sname field, in that order." */
    struct dhcp_option_span *s = &c->p->options[code];
    assert(c->filled[code] + len <= s->len);
    if (len > 0)
        memcpy(c->p->arena + s->off + c->filled[code], data, len);
    c->filled[code] += len;
    return 0;
}

static int walk_fields(struct parse_ctx *c, const uint8_t *pkt, size_t len)
{
    int r;

    /* RFC 2131 §4.1: "The options in the 'options' field MUST be
     * interpreted first, so that any 'option overload' options may be
     * interpreted. The 'file' field MUST be interpreted next (if the
     * 'option overload' option indicates that the 'file' field contains
     * DHCP options), followed by the 'sname' field." */
    c->field = FIELD_OPTIONS;
    r = dhcp_option_walk(pkt + DHCP_OFF_OPTIONS, len - DHCP_OFF_OPTIONS, visit_option, c);
    if (r < 0)
        return r;

    if (!c->copying && c->p->options[DHCP_OPTION_OVERLOAD].present) {
        /* RFC 2132 §9.3: "The code for this option is 52, and its length is
         * 1. Legal values for this option are: 1 the 'file' field is used
         * to hold options, 2 the 'sname' field [...], 3 both fields". */
        if (c->total[DHCP_OPTION_OVERLOAD] != 1 || !c->overload_value)
            return -EBADMSG;
        uint8_t v = *c->overload_value;
        if (v < 1 || v > 3)
            return -EBADMSG;
        c->p->overload = v;
    }

    if (c->p->overload & DHCP_OVERLOAD_FILE) {
        c->field = FIELD_FILE;
        r = dhcp_option_walk(pkt + DHCP_OFF_FILE, DHCP_FILE_SIZE, visit_option, c);
        if (r < 0)
            return r;
    }
    if (c->p->overload & DHCP_OVERLOAD_SNAME) {
        c->field = FIELD_SNAME;
        r = dhcp_option_walk(pkt + DHCP_OFF_SNAME, DHCP_SNAME_SIZE, visit_option, c);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Lengths the RFCs fix for the options anvil reads or writes. */
struct option_rule {
    uint8_t code;
    uint16_t min;
    uint16_t max; /* 0 = no upper bound */
    uint8_t multiple;
};

static const struct option_rule option_rules[] = {
    {DHCP_OPTION_SUBNET_MASK, 4, 4, 1},            /* RFC 2132 §3.3 */
    {DHCP_OPTION_ROUTER, 4, 0, 4},                 /* §3.5 */
    {DHCP_OPTION_DNS, 4, 0, 4},                    /* §3.8 */
    {DHCP_OPTION_LOG_SERVER, 4, 0, 4},             /* §3.9 */
    {DHCP_OPTION_HOSTNAME, 1, 0, 1},               /* §3.14 */
    {DHCP_OPTION_DOMAIN_NAME, 1, 0, 1},            /* §3.17 */
    {DHCP_OPTION_BROADCAST, 4, 4, 1},              /* §5.3 */
    {DHCP_OPTION_NTP, 4, 0, 4},                    /* §8.3 */
    {DHCP_OPTION_VENDOR_SPECIFIC, 1, 0, 1},        /* §8.4 */
    {DHCP_OPTION_REQUESTED_IP, 4, 4, 1},           /* §9.1 */
    {DHCP_OPTION_LEASE_TIME, 4, 4, 1},             /* §9.2 */
    {DHCP_OPTION_MESSAGE_TYPE, 1, 1, 1},           /* §9.6 */
    {DHCP_OPTION_SERVER_ID, 4, 4, 1},              /* §9.7 */
    {DHCP_OPTION_PARAMETER_REQUEST_LIST, 1, 0, 1}, /* §9.8 */
    {DHCP_OPTION_MESSAGE, 1, 0, 1},                /* §9.9 */
    {DHCP_OPTION_MAX_MESSAGE_SIZE, 2, 2, 1},       /* §9.10 */
    {DHCP_OPTION_VENDOR_CLASS, 1, 0, 1},           /* §9.13 */
    {DHCP_OPTION_CLIENT_ID, 2, 0, 1},              /* §9.14 */
    {DHCP_OPTION_TFTP_SERVER_NAME, 1, 0, 1},       /* §9.4 */
    {DHCP_OPTION_BOOTFILE_NAME, 1, 0, 1},          /* §9.5 */
    {DHCP_OPTION_USER_CLASS, 1, 0, 1},             /* RFC 3004 §4 */
    {DHCP_OPTION_RELAY_AGENT_INFO, 2, 0, 1},       /* RFC 3046 §2.0 */
    {DHCP_OPTION_CLIENT_ARCH, 2, 0, 2},            /* RFC 4578 §2.1 */
    {DHCP_OPTION_CLIENT_NDI, 3, 3, 1},             /* RFC 4578 §2.2 */
};

static int validate_options(const struct dhcp_packet *p)
{
    for (size_t i = 0; i < ARRAY_SIZE(option_rules); i++) {
        const struct option_rule *rule = &option_rules[i];
        const struct dhcp_option_span *s = &p->options[rule->code];

        if (!s->present)
            continue;
        if (s->len < rule->min || (rule->max && s->len > rule->max) || s->len % rule->multiple)
            return -EBADMSG;
    }

    if (p->options[DHCP_OPTION_MESSAGE_TYPE].present &&
        p->arena[p->options[DHCP_OPTION_MESSAGE_TYPE].off] == 0)
        return -EBADMSG;

    const struct dhcp_option_span *relay = &p->options[DHCP_OPTION_RELAY_AGENT_INFO];
    if (relay->present && !dhcp_relay_agent_info_is_valid(p->arena + relay->off, relay->len))
        return -EBADMSG;
    return 0;
}

static uint32_t get_be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint16_t get_be16(const uint8_t *b)
{
    return (uint16_t)(b[0] << 8 | b[1]);
}

static struct in_addr get_addr(const uint8_t *b)
{
    struct in_addr a;
    memcpy(&a.s_addr, b, 4);
    return a;
}

static int parse_header(struct dhcp_packet *p, const uint8_t *pkt, size_t len)
{
    /* RFC 2131 §2: the fixed header is 236 octets; §3: "The first four
     * octets of the 'options' field of the DHCP message contain the
     * (decimal) values 99, 130, 83 and 99". */
    if (len < DHCP_MIN_PACKET || len > DHCP_PACKET_MAX_SIZE)
        return -EBADMSG;
    if (get_be32(pkt + DHCP_OFF_COOKIE) != DHCP_MAGIC_COOKIE)
        return -EBADMSG;

    p->op = pkt[DHCP_OFF_OP];
    if (p->op != DHCP_BOOTREQUEST && p->op != DHCP_BOOTREPLY)
        return -EBADMSG;
    p->htype = pkt[DHCP_OFF_HTYPE];
    p->hlen = pkt[DHCP_OFF_HLEN];
    if (p->hlen > DHCP_CHADDR_SIZE)
        return -EBADMSG;
    p->hops = pkt[DHCP_OFF_HOPS];
    p->xid = get_be32(pkt + DHCP_OFF_XID);
    p->secs = get_be16(pkt + DHCP_OFF_SECS);
    p->flags = get_be16(pkt + DHCP_OFF_FLAGS);
    p->ciaddr = get_addr(pkt + DHCP_OFF_CIADDR);
    p->yiaddr = get_addr(pkt + DHCP_OFF_YIADDR);
    p->siaddr = get_addr(pkt + DHCP_OFF_SIADDR);
    p->giaddr = get_addr(pkt + DHCP_OFF_GIADDR);
    memcpy(p->chaddr, pkt + DHCP_OFF_CHADDR, DHCP_CHADDR_SIZE);
    return 0;
}

/* After counting: give every present option its place in one arena, each
 * value followed by a NUL byte. */
static int layout_arena(struct parse_ctx *c)
{
    struct dhcp_packet *p = c->p;
    size_t size = 0;

    for (size_t code = 0; code < 256; code++) {
        if (!p->options[code].present)
            continue;
        p->options[code].off = (uint32_t)size;
        p->options[code].len = (uint32_t)c->total[code];
        size += c->total[code] + 1;
    }
    p->arena = calloc(1, size > 0 ? size : 1);
    if (!p->arena)
        return -ENOMEM;
    p->arena_len = size;
    return 0;
}

int dhcp_packet_parse(const void *data, size_t len, struct dhcp_packet **ret)
{
    _cleanup_dhcp_packet_ struct dhcp_packet *p = NULL;
    const uint8_t *pkt = data;
    int r;

    assert_return(data || len == 0, -EINVAL);
    assert_return(ret, -EINVAL);

    p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;

    r = parse_header(p, pkt, len);
    if (r < 0)
        return r;

    struct parse_ctx *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->p = p;
    r = walk_fields(c, pkt, len);
    if (r >= 0)
        r = layout_arena(c);
    if (r >= 0) {
        c->copying = true;
        r = walk_fields(c, pkt, len);
    }
    free(c);
    if (r < 0)
        return r;

    r = validate_options(p);
    if (r < 0)
        return r;
    if (p->options[DHCP_OPTION_MESSAGE_TYPE].present)
        p->message_type = p->arena[p->options[DHCP_OPTION_MESSAGE_TYPE].off];

    /* Table 1: sname and file are "null terminated" strings unless option
     * 52 turned them into option space. */
    if (!(p->overload & DHCP_OVERLOAD_SNAME))
        memcpy(p->sname, pkt + DHCP_OFF_SNAME, DHCP_SNAME_SIZE);
    if (!(p->overload & DHCP_OVERLOAD_FILE))
        memcpy(p->file, pkt + DHCP_OFF_FILE, DHCP_FILE_SIZE);

    *ret = TAKE_PTR(p);
    return 0;
}

struct dhcp_packet *dhcp_packet_free(struct dhcp_packet *p)
{
    if (!p)
        return NULL;
    free(p->arena);
    free(p);
    return NULL;
}

uint8_t dhcp_packet_op(const struct dhcp_packet *p)
{
    return p->op;
}

uint8_t dhcp_packet_htype(const struct dhcp_packet *p)
{
    return p->htype;
}

uint8_t dhcp_packet_hlen(const struct dhcp_packet *p)
{
    return p->hlen;
}

uint8_t dhcp_packet_hops(const struct dhcp_packet *p)
{
    return p->hops;
}

uint32_t dhcp_packet_xid(const struct dhcp_packet *p)
{
    return p->xid;
}

uint16_t dhcp_packet_secs(const struct dhcp_packet *p)
{
    return p->secs;
}

uint16_t dhcp_packet_flags(const struct dhcp_packet *p)
{
    return p->flags;
}

bool dhcp_packet_broadcast(const struct dhcp_packet *p)
{
    return p->flags & DHCP_FLAG_BROADCAST;
}

struct in_addr dhcp_packet_ciaddr(const struct dhcp_packet *p)
{
    return p->ciaddr;
}

struct in_addr dhcp_packet_yiaddr(const struct dhcp_packet *p)
{
    return p->yiaddr;
}

struct in_addr dhcp_packet_siaddr(const struct dhcp_packet *p)
{
    return p->siaddr;
}

struct in_addr dhcp_packet_giaddr(const struct dhcp_packet *p)
{
    return p->giaddr;
}

const uint8_t *dhcp_packet_chaddr(const struct dhcp_packet *p)
{
    return p->chaddr;
}

const char *dhcp_packet_sname(const struct dhcp_packet *p)
{
    return (p->overload & DHCP_OVERLOAD_SNAME) ? NULL : p->sname;
}

const char *dhcp_packet_file(const struct dhcp_packet *p)
{
    return (p->overload & DHCP_OVERLOAD_FILE) ? NULL : p->file;
}

uint8_t dhcp_packet_overload(const struct dhcp_packet *p)
{
    return p->overload;
}

uint8_t dhcp_packet_message_type(const struct dhcp_packet *p)
{
    return p->message_type;
}

int dhcp_packet_get_option(const struct dhcp_packet *p,
                           uint8_t code,
                           const uint8_t **ret_data,
                           size_t *ret_len)
{
    assert_return(p, -EINVAL);

    const struct dhcp_option_span *s = &p->options[code];
    if (!s->present)
        return -ENODATA;
    if (ret_data)
        *ret_data = p->arena + s->off;
    if (ret_len)
        *ret_len = s->len;
    return 0;
}

static int get_addr_option(const struct dhcp_packet *p, uint8_t code, struct in_addr *ret)
{
    const uint8_t *v;
    size_t len;

    assert_return(ret, -EINVAL);
    int r = dhcp_packet_get_option(p, code, &v, &len);
    if (r < 0)
        return r;
    if (len < 4) /* a reply option not covered by the parse rules */
        return -ENODATA;
    *ret = get_addr(v);
    return 0;
}

int dhcp_packet_get_requested_ip(const struct dhcp_packet *p, struct in_addr *ret)
{
    return get_addr_option(p, DHCP_OPTION_REQUESTED_IP, ret);
}

int dhcp_packet_get_server_id(const struct dhcp_packet *p, struct in_addr *ret)
{
    return get_addr_option(p, DHCP_OPTION_SERVER_ID, ret);
}

int dhcp_packet_get_lease_time(const struct dhcp_packet *p, uint32_t *ret)
{
    const uint8_t *v;

    assert_return(ret, -EINVAL);
    int r = dhcp_packet_get_option(p, DHCP_OPTION_LEASE_TIME, &v, NULL);
    if (r < 0)
        return r;
    *ret = get_be32(v);
    return 0;
}

int dhcp_packet_get_max_message_size(const struct dhcp_packet *p, uint16_t *ret)
{
    const uint8_t *v;

    assert_return(ret, -EINVAL);
    int r = dhcp_packet_get_option(p, DHCP_OPTION_MAX_MESSAGE_SIZE, &v, NULL);
    if (r < 0)
        return r;
    *ret = get_be16(v);
    return 0;
}

uint16_t dhcp_packet_max_message_size(const struct dhcp_packet *p)
{
    uint16_t v;

    /* RFC 2132 §9.10: "The minimum legal value is 576 octets." A smaller
     * value is treated as absent rather than as a reason to drop the
     * client: 576 is what every client must accept anyway. */
    if (dhcp_packet_get_max_message_size(p, &v) < 0 || v < DHCP_MIN_MESSAGE_SIZE)
        return DHCP_MIN_MESSAGE_SIZE;
    return v;
}

size_t dhcp_packet_n_client_arch(const struct dhcp_packet *p)
{
    size_t len;

    if (dhcp_packet_get_option(p, DHCP_OPTION_CLIENT_ARCH, NULL, &len) < 0)
        return 0;
    return len / 2;
}

int dhcp_packet_get_client_arch(const struct dhcp_packet *p, size_t i, uint16_t *ret)
{
    const uint8_t *v;
    size_t len;

    assert_return(ret, -EINVAL);
    int r = dhcp_packet_get_option(p, DHCP_OPTION_CLIENT_ARCH, &v, &len);
    if (r < 0)
        return r;
    /* RFC 4578 §2.1: a list of 16-bit architecture types, in the order
     * the client prefers them. */
    if (i >= len / 2)
        return -ENODATA;
    *ret = get_be16(v + 2 * i);
    return 0;
}

int dhcp_packet_get_client_ndi(const struct dhcp_packet *p,
                               uint8_t *ret_type,
                               uint8_t *ret_major,
                               uint8_t *ret_minor)
{
    const uint8_t *v;

    int r = dhcp_packet_get_option(p, DHCP_OPTION_CLIENT_NDI, &v, NULL);
    if (r < 0)
        return r;
    if (ret_type)
        *ret_type = v[0];
    if (ret_major)
        *ret_major = v[1];
    if (ret_minor)
        *ret_minor = v[2];
    return 0;
}

int dhcp_packet_get_client_machine_id(const struct dhcp_packet *p,
                                      const uint8_t **ret,
                                      size_t *ret_len)
{
    return dhcp_packet_get_option(p, DHCP_OPTION_CLIENT_MACHINE_ID, ret, ret_len);
}

int dhcp_packet_get_vendor_class(const struct dhcp_packet *p, const char **ret, size_t *ret_len)
{
    const uint8_t *v;
    int r = dhcp_packet_get_option(p, DHCP_OPTION_VENDOR_CLASS, &v, ret_len);
    if (r < 0)
        return r;
    if (ret)
        *ret = (const char *)v;
    return 0;
}

bool dhcp_packet_vendor_class_has_prefix(const struct dhcp_packet *p, const char *prefix)
{
    const char *v;
    size_t len;

    if (!prefix || dhcp_packet_get_vendor_class(p, &v, &len) < 0)
        return false;
    size_t n = strlen(prefix);
    return len >= n && memcmp(v, prefix, n) == 0;
}

int dhcp_packet_get_hostname(const struct dhcp_packet *p, const char **ret, size_t *ret_len)
{
    const uint8_t *v;
    int r = dhcp_packet_get_option(p, DHCP_OPTION_HOSTNAME, &v, ret_len);
    if (r < 0)
        return r;
    if (ret)
        *ret = (const char *)v;
    return 0;
}

int dhcp_packet_get_parameter_request_list(const struct dhcp_packet *p,
                                           const uint8_t **ret,
                                           size_t *ret_len)
{
    return dhcp_packet_get_option(p, DHCP_OPTION_PARAMETER_REQUEST_LIST, ret, ret_len);
}

bool dhcp_packet_requests_option(const struct dhcp_packet *p, uint8_t code)
{
    const uint8_t *v;
    size_t len;

    if (dhcp_packet_get_parameter_request_list(p, &v, &len) < 0)
        return false;
    return memchr(v, code, len) != NULL;
}

int dhcp_packet_get_relay_agent_info(const struct dhcp_packet *p,
                                     const uint8_t **ret,
                                     size_t *ret_len)
{
    return dhcp_packet_get_option(p, DHCP_OPTION_RELAY_AGENT_INFO, ret, ret_len);
}

size_t dhcp_packet_n_user_class(const struct dhcp_packet *p)
{
    const uint8_t *v;
    size_t len, n = 0;

    if (dhcp_packet_get_option(p, DHCP_OPTION_USER_CLASS, &v, &len) < 0)
        return 0;
    if (!dhcp_user_class_is_rfc3004(v, len))
        return 1;
    for (size_t i = 0; i < len; i += 1 + (size_t)v[i])
        n++;
    return n;
}

int dhcp_packet_get_user_class(const struct dhcp_packet *p,
                               size_t i,
                               const uint8_t **ret,
                               size_t *ret_len)
{
    const uint8_t *v;
    size_t len;

    int r = dhcp_packet_get_option(p, DHCP_OPTION_USER_CLASS, &v, &len);
    if (r < 0)
        return r;

    if (!dhcp_user_class_is_rfc3004(v, len)) {
        /* iPXE's form: the bare class name, no length octet. */
        if (i != 0)
            return -ENODATA;
        if (ret)
            *ret = v;
        if (ret_len)
            *ret_len = len;
        return 0;
    }

    for (size_t off = 0, k = 0; off < len; off += 1 + (size_t)v[off], k++)
        if (k == i) {
            if (ret)
                *ret = v + off + 1;
            if (ret_len)
                *ret_len = v[off];
            return 0;
        }
    return -ENODATA;
}

bool dhcp_packet_has_user_class(const struct dhcp_packet *p, const char *name)
{
    const uint8_t *v;
    size_t len;

    if (!name || dhcp_packet_get_option(p, DHCP_OPTION_USER_CLASS, &v, &len) < 0)
        return false;
    size_t n = strlen(name);
    if (len == n && memcmp(v, name, n) == 0)
        return true;

    size_t count = dhcp_packet_n_user_class(p);
    for (size_t i = 0; i < count; i++) {
        const uint8_t *item;
        size_t item_len;
        if (dhcp_packet_get_user_class(p, i, &item, &item_len) >= 0 && item_len == n &&
            memcmp(item, name, n) == 0)
            return true;
    }
    return false;
}
