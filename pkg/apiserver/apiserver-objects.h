/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Shared between the read and write handlers of the embedded API server. */

#include "apiserver/apiserver-internal.h"

struct label_selector;
struct field_selector;

/* Loads the current object, with apiVersion/kind of res. 0, -ENOENT, -EIO. */
int api_object_load(struct apiserver *s,
                    const struct api_resource *res,
                    const char *ns,
                    const char *name,
                    json_t **ret,
                    uint64_t *ret_rev);
void api_object_set_version(const struct api_resource *res, json_t *obj);
void api_api_version(const struct api_resource *res, char *out, size_t n);
int api_parse_rv(const char *s, uint64_t *ret);

int api_respond_not_found(struct api_response *resp,
                          const struct api_resource *res,
                          const char *name);
/* Maps an apistore error code to its Status. */
int api_respond_store_error(struct api_response *resp,
                            const struct api_resource *res,
                            const char *name,
                            int r);
int api_respond_too_large_rv(struct apiserver *s, struct api_response *resp, uint64_t rv);
int api_respond_expired(struct api_response *resp, uint64_t rv, uint64_t compacted);
/* Returns 1 with both selectors set, or <= 0 after responding 400. */
int api_selectors_parse(const struct api_resource *res,
                        const struct api_query *q,
                        struct api_response *resp,
                        struct label_selector **ret_labels,
                        struct field_selector **ret_fields);

int api_get(struct apiserver *s,
            const struct api_request *req,
            const struct api_resource *res,
            const char *ns,
            const char *name,
            struct api_response *resp);
int api_list(struct apiserver *s,
             const struct api_request *req,
             const struct api_resource *res,
             const char *ns,
             struct api_response *resp);
int api_watch_accept(struct apiserver *s,
                     const struct api_request *req,
                     const struct api_resource *res,
                     const char *ns,
                     struct api_response *resp);
int api_create(struct apiserver *s,
               const struct api_request *req,
               const struct api_resource *res,
               const char *ns,
               struct api_response *resp);
int api_update(struct apiserver *s,
               const struct api_request *req,
               const struct api_resource *res,
               const char *ns,
               const char *name,
               bool status,
               struct api_response *resp);
int api_patch(struct apiserver *s,
              const struct api_request *req,
              const struct api_resource *res,
              const char *ns,
              const char *name,
              bool status,
              struct api_response *resp);
int api_delete(struct apiserver *s,
               const struct api_request *req,
               const struct api_resource *res,
               const char *ns,
               const char *name,
               struct api_response *resp);
int api_delete_collection(struct apiserver *s,
                          const struct api_request *req,
                          const struct api_resource *res,
                          const char *ns,
                          struct api_response *resp);
