#!/usr/bin/env bash
# Rotate one NATS user's password in namespace $1: intake, classifier, notifier, weather, reporting or admin.
#   deploy/k8s/rotate-nats-password.sh sunmoon notifier
# 1. a fresh random password goes into Secret sunmoon-nats-credentials (key = the user);
# 2. Secret nats-authorization is regenerated from all passwords (bcrypt hashes, `python -m sunmoon.access`);
# 3. once the kubelet has refreshed the mounted file in every NATS pod, each server reloads its configuration
#    (`nats-server --signal reload`): connections still using the old password are closed;
# 4. the service's Deployment is restarted (rolling: new pods connect with the new password).
# Between 3 and 4 the old pods of that service are cut off from NATS for the few seconds a new pod needs to
# become ready; their outbox keeps every event, nothing is lost. Run from the repository root with the
# workspace installed (`make deps`) and kubectl pointed at the cluster.
set -euo pipefail
case "${1:-}" in
  -h|--help|"") awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; [ -n "${1:-}" ]; exit ;;
esac
ns="$1"
user="${2:?usage: $0 NAMESPACE USER (see --help)}"
uv="${UV:-.tools/bin/uv}"
services="intake classifier notifier weather reporting"
case " $services admin " in *" $user "*) ;; *) echo "unknown NATS user: $user" >&2; exit 2 ;; esac

new="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"  # 48 hex digits
kubectl -n "$ns" patch secret sunmoon-nats-credentials --type merge \
  -p "{\"data\": {\"$user\": \"$(printf '%s' "$new" | base64 | tr -d '\n')\"}}"

tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
for u in $services admin; do
  kubectl -n "$ns" get secret sunmoon-nats-credentials -o "jsonpath={.data.$u}" | base64 -d > "$tmp/$u.password"
done
"$uv" run --frozen --no-sync python -m sunmoon.access nats-config --no-analytics --secrets-dir "$tmp" > "$tmp/authorization.conf"
kubectl -n "$ns" create secret generic nats-authorization --from-file=authorization.conf="$tmp/authorization.conf" \
  --dry-run=client -o yaml | kubectl -n "$ns" apply -f -

want="$(sha256sum < "$tmp/authorization.conf" | cut -d' ' -f1)"
for pod in $(kubectl -n "$ns" get pods -l app.kubernetes.io/name=nats -o 'jsonpath={.items[*].metadata.name}'); do
  for _ in $(seq 1 60); do  # the kubelet refreshes mounted Secrets within about a minute
    have="$(kubectl -n "$ns" exec "$pod" -c nats -- cat /etc/nats/auth/authorization.conf | sha256sum | cut -d' ' -f1)"
    [ "$have" = "$want" ] && break
    sleep 3
  done
  [ "$have" = "$want" ] || { echo "$pod: the new authorization did not arrive; reload it by hand" >&2; exit 1; }
  kubectl -n "$ns" exec "$pod" -c nats -- nats-server --signal reload=/var/run/nats/nats.pid
  echo "$pod: configuration reloaded"
done
if [ "$user" != admin ]; then
  kubectl -n "$ns" rollout restart "deployment/$user"
  kubectl -n "$ns" rollout status "deployment/$user" --timeout=5m
else
  echo "admin rotated: the next nats-streams Job and operators use the new password"
fi
