/* SPDX-License-Identifier: Apache-2.0 */
/* /metrics: Prometheus text for every counter of anvil-boot. */
#include <errno.h>
#include <inttypes.h>

#include "boot/boot-internal.h"
#include "buf/buf.h"
#include "dhcp/dhcp-server.h"
#include "informer/informer.h"
#include "tftp/tftp-server.h"

static const char *const route_names[_BOOT_ROUTE_MAX] = {
        [BOOT_ROUTE_NONE] = "other",         [BOOT_ROUTE_BINARY] = "ipxe_binary",
        [BOOT_ROUTE_SCRIPT] = "ipxe_script", [BOOT_ROUTE_BOOTENV] = "bootenv",
        [BOOT_ROUTE_METADATA] = "metadata",
};

static uint64_t ld(atomic_uint_fast64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

static int write_dhcp(struct boot *b, struct buf *o)
{
    struct dhcp_server_stats st;
    int r;
    if (!b->dhcp || dhcp_server_get_stats(b->dhcp, &st) < 0)
        return 0;
    r = buf_printf(o,
                   "# TYPE anvil_boot_dhcp_received_total counter\n"
                   "anvil_boot_dhcp_received_total %" PRIu64 "\n"
                   "# TYPE anvil_boot_dhcp_dropped_total counter\n"
                   "anvil_boot_dhcp_dropped_total{reason=\"malformed\"} %" PRIu64 "\n"
                   "anvil_boot_dhcp_dropped_total{reason=\"wrong_interface\"} %" PRIu64 "\n"
                   "anvil_boot_dhcp_dropped_total{reason=\"conflict\"} %" PRIu64 "\n"
                   "anvil_boot_dhcp_dropped_total{reason=\"lookup_error\"} %" PRIu64 "\n"
                   "anvil_boot_dhcp_dropped_total{reason=\"reply_error\"} %" PRIu64 "\n"
                   "anvil_boot_dhcp_dropped_total{reason=\"stale\"} %" PRIu64 "\n"
                   "# TYPE anvil_boot_dhcp_send_errors_total counter\n"
                   "anvil_boot_dhcp_send_errors_total %" PRIu64 "\n"
                   "# TYPE anvil_boot_dhcp_relayed_total counter\n"
                   "anvil_boot_dhcp_relayed_total %" PRIu64 "\n"
                   "# TYPE anvil_boot_dhcp_replies_total counter\n"
                   "anvil_boot_dhcp_replies_total{type=\"offer\"} %" PRIu64 "\n"
                   "anvil_boot_dhcp_replies_total{type=\"ack\"} %" PRIu64 "\n"
                   "anvil_boot_dhcp_replies_total{type=\"nak\"} %" PRIu64 "\n"
                   "# TYPE anvil_boot_dhcp_ignored_total counter\n",
                   st.received, st.malformed, st.wrong_interface, st.conflicts, st.lookup_errors,
                   st.decide_errors, st.stale, st.send_errors, st.relayed, st.replies[DHCP_OFFER],
                   st.replies[DHCP_ACK], st.replies[DHCP_NAK]);
    for (int i = DHCP_IGNORE_NONE + 1; r == 0 && i < _DHCP_IGNORE_MAX; i++)
        r = buf_printf(o, "anvil_boot_dhcp_ignored_total{reason=\"%s\"} %" PRIu64 "\n",
                       dhcp_ignore_to_string((enum dhcp_ignore)i), st.ignored[i]);
    return r;
}

static int write_tftp(struct boot *b, struct buf *o)
{
    struct tftp_server_stats st;
    int r;
    if (!b->tftp || tftp_server_get_stats(b->tftp, &st) < 0)
        return 0;
    r = buf_printf(o,
                   "# TYPE anvil_boot_tftp_requests_total counter\n"
                   "anvil_boot_tftp_requests_total %" PRIu64 "\n"
                   "# TYPE anvil_boot_tftp_malformed_total counter\n"
                   "anvil_boot_tftp_malformed_total %" PRIu64 "\n"
                   "# TYPE anvil_boot_tftp_busy_total counter\n"
                   "anvil_boot_tftp_busy_total %" PRIu64 "\n"
                   "# TYPE anvil_boot_tftp_transfers_total counter\n"
                   "anvil_boot_tftp_transfers_total{result=\"done\"} %" PRIu64 "\n"
                   "anvil_boot_tftp_transfers_total{result=\"failed\"} %" PRIu64 "\n"
                   "# TYPE anvil_boot_tftp_transfers_active gauge\n"
                   "anvil_boot_tftp_transfers_active %" PRIu64 "\n"
                   "# TYPE anvil_boot_tftp_sent_bytes_total counter\n"
                   "anvil_boot_tftp_sent_bytes_total %" PRIu64 "\n"
                   "# TYPE anvil_boot_tftp_packets_total counter\n"
                   "anvil_boot_tftp_packets_total %" PRIu64 "\n"
                   "# TYPE anvil_boot_tftp_retransmits_total counter\n"
                   "anvil_boot_tftp_retransmits_total %" PRIu64 "\n"
                   "# TYPE anvil_boot_tftp_timeouts_total counter\n"
                   "anvil_boot_tftp_timeouts_total %" PRIu64 "\n"
                   "# TYPE anvil_boot_tftp_errors_sent_total counter\n",
                   st.requests, st.malformed, st.busy, st.transfers_done, st.transfers_failed,
                   st.active, st.bytes_sent, st.packets_sent, st.retransmits, st.timeouts);
    for (int i = 0; r == 0 && i < _TFTP_ERROR_MAX; i++)
        r = buf_printf(o, "anvil_boot_tftp_errors_sent_total{code=\"%d\"} %" PRIu64 "\n", i,
                       st.refused[i]);
    return r;
}

int boot_metrics_write(struct boot *b, struct buf *o)
{
    struct informer_stats is;
    int r = write_dhcp(b, o);
    if (r == 0)
        r = write_tftp(b, o);
    if (r == 0)
        r = buf_append_str(o, "# TYPE anvil_boot_http_requests_total counter\n");
    for (int i = 0; r == 0 && i < _BOOT_ROUTE_MAX; i++)
        r = buf_printf(o, "anvil_boot_http_requests_total{route=\"%s\"} %" PRIu64 "\n",
                       route_names[i], ld(&b->counters.http[i]));
    if (r == 0)
        r = buf_printf(o,
                       "# TYPE anvil_boot_http_not_found_total counter\n"
                       "anvil_boot_http_not_found_total %" PRIu64 "\n"
                       "# TYPE anvil_boot_http_errors_total counter\n"
                       "anvil_boot_http_errors_total %" PRIu64 "\n"
                       "# TYPE anvil_boot_ipxe_scripts_total counter\n"
                       "anvil_boot_ipxe_scripts_total{kind=\"hardware\"} %" PRIu64 "\n"
                       "anvil_boot_ipxe_scripts_total{kind=\"static\"} %" PRIu64 "\n"
                       "# TYPE anvil_boot_syslog_messages_total counter\n"
                       "anvil_boot_syslog_messages_total %" PRIu64 "\n"
                       "# TYPE anvil_boot_syslog_malformed_total counter\n"
                       "anvil_boot_syslog_malformed_total %" PRIu64 "\n"
                       "# TYPE anvil_boot_syslog_unknown_source_total counter\n"
                       "anvil_boot_syslog_unknown_source_total %" PRIu64 "\n",
                       ld(&b->counters.http_not_found), ld(&b->counters.http_errors),
                       ld(&b->counters.scripts_hardware), ld(&b->counters.scripts_static),
                       ld(&b->counters.syslog_lines), ld(&b->counters.syslog_malformed),
                       ld(&b->counters.syslog_unknown_host));
    if (r == 0 && informer_get_stats(b->informer, &is) == 0)
        r = buf_printf(o,
                       "# TYPE anvil_informer_synced gauge\n"
                       "anvil_informer_synced{resource=\"hardware\"} %d\n"
                       "# TYPE anvil_informer_relists_total counter\n"
                       "anvil_informer_relists_total{resource=\"hardware\"} %" PRIu64 "\n"
                       "# TYPE anvil_store_objects gauge\n"
                       "anvil_store_objects{resource=\"hardware\"} %zu\n",
                       informer_has_synced(b->informer) ? 1 : 0, is.relists, store_size(b->store));
    return r;
}
