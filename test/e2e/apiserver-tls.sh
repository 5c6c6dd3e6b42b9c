#!/usr/bin/env bash
# TLS with a generated pair and bearer tokens; watch bookmarks and timeoutSeconds.
# On the upstream tier the same checks run against kube-apiserver's TLS and token.
. "$(dirname "$0")/lib.bash"
command -v kubectl >/dev/null || skip_all "kubectl is not installed"
printf 'sekrit-token-1,admin,1\n' >"$E2E_TMP/tokens.csv"
start_apiserver --tls-generate --token-file "$E2E_TMP/tokens.csv" --watch-bookmark-interval 1 || exit 1
TOKEN=sekrit-token-1
MINOR=32 # the kubectl dispatcher installed here picks kubectl.1.32 from it
if [ "$APISERVER_UPSTREAM" = 1 ]; then
    # kube-apiserver's own TLS and static token, from the kubeconfig the tier wrote.
    APISERVER_URL=$APISERVER_DIRECT_URL
    TOKEN=$(kubectl config view --raw --minify -o jsonpath='{.users[0].user.token}')
    MINOR=[0-9]+
fi
expect_match "kubeconfig carries the CA and the token" "certificate-authority-data" cat "$KUBECONFIG"
expect_match "kubectl authenticates over TLS" "^default " kubectl get ns default
if [ "$APISERVER_UPSTREAM" = 1 ]; then
    # kube-apiserver's default --anonymous-auth=true: no token is system:anonymous, which RBAC refuses.
    expect_match "no token: 403 Forbidden for system:anonymous" '"code": ?403' curl -sk "$APISERVER_URL/api/v1/namespaces"
else
    expect_match "no token: 401 Unauthorized Status" '"code": ?401' curl -sk "$APISERVER_URL/api/v1/namespaces"
fi
expect_match "wrong token: 401" '"code": ?401' curl -sk -H 'Authorization: Bearer nope' "$APISERVER_URL/api/v1/namespaces"
expect_match "/version stays public" "\"minor\": ?\"$MINOR\"" curl -sk "$APISERVER_URL/version"
expect_match "the certificate verifies against the written CA" '"kind": ?"NamespaceList"' \
    sh -c "kubectl config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >'$E2E_TMP/ca.crt' && curl -s --cacert '$E2E_TMP/ca.crt' -H 'Authorization: Bearer $TOKEN' '$APISERVER_URL/api/v1/namespaces'"

[ "$APISERVER_UPSTREAM" = 1 ] || check_watch_client_leaves "$TOKEN"

start=$SECONDS
out=$(curl -sk -H "Authorization: Bearer $TOKEN" --max-time 20 \
    "$APISERVER_URL/api/v1/namespaces?watch=true&allowWatchBookmarks=true&timeoutSeconds=3")
took=$((SECONDS - start))
echo "$out" | grep -q '"type":"BOOKMARK"' && ok "allowWatchBookmarks delivers BOOKMARK events" ||
    { not_ok "no BOOKMARK in the stream"; echo "$out" | tail -3 | sed 's/^/#   /'; }
[ "$took" -ge 2 ] && [ "$took" -le 8 ] && ok "timeoutSeconds=3 ends the stream (${took}s)" ||
    not_ok "timeoutSeconds=3 stream lasted ${took}s"
echo "$out" | grep -q '"type":"ADDED".*"name":"default"' && ok "a watch without resourceVersion starts with the current state" ||
    not_ok "no initial ADDED events"
out=$(curl -sk -H "Authorization: Bearer $TOKEN" --max-time 20 \
    "$APISERVER_URL/api/v1/namespaces?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=2")
echo "$out" | grep -q 'k8s.io/initial-events-end' && ok "sendInitialEvents ends the state with the initial-events-end bookmark" ||
    not_ok "no initial-events-end bookmark"
# --- a client the server turns away says so at the default log level: anvil-boot
# with a wrong token logs the informer's failed list as a warning, with the code.
sed -E 's/^([[:space:]]*token:).*/\1 nope/' "$KUBECONFIG" >"$E2E_TMP/kc-wrong"
expect_match "the copied kubeconfig carries the wrong token" "token: nope" cat "$E2E_TMP/kc-wrong"
check_boot_warns_refused "$E2E_TMP/kc-wrong" 401 "a refused list is a warning naming the resource and the 401"
e2e_done
