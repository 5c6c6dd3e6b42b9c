/* SPDX-License-Identifier: Apache-2.0 */
/* /2009-04-04/: the metadata tree of the Hardware with the client's address. */
#include <errno.h>
#include <string.h>

#include "base/json-cleanup.h"
#include "boot/boot-internal.h"
#include "httpd/httpd.h"
#include "informer/informer.h"
#include "metadata/metadata.h"

int boot_request_client_ip(const struct boot *b, const struct httpd_request *req, char ret[46])
{
    return metadata_client_ip(req->peer, req->forwarded_for, b->trusted, b->n_trusted, ret);
}

int boot_metadata_handle(struct boot *b,
                         const struct boot_path *p,
                         const struct httpd_request *req,
                         struct httpd_response *resp)
{
    char ip[METADATA_IP_STRLEN];
    _cleanup_json_ json_t *list = NULL;
    struct metadata_reply reply;
    (void)p;
    const json_t *hw = NULL;
    if (boot_request_client_ip(b, req, ip) == 0 &&
        store_by_index(b->store, STORE_INDEX_IP, ip, &list) == 0 && json_array_size(list) > 0)
        hw = json_array_get(list, 0);
    int r = metadata_lookup(hw, req->path + strlen(METADATA_VERSION_PREFIX), &reply);
    if (r < 0)
        return r;
    resp->status = reply.status;
    r = buf_append(&resp->body, reply.body, reply.body_len);
    metadata_reply_done(&reply);
    return r;
}
