#!/bin/sh
# deploy/terraform, parsed with @cdktf/hcl2json and checked by tests/tools/terraform_check.js (handler,
# runtime, architecture, IAM scoped to prefixes, the trigger vs the output prefix, the SQS path), which
# also breaks the Terraform on purpose to show each check can fail.
ROOT=${U2NET_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
DEPS=${U2NET_DEPS:-$ROOT/.deps}
if ! command -v node >/dev/null 2>&1; then echo "skip terraform: node not installed"; exit 0; fi
if [ ! -f "$DEPS/node_modules/@cdktf/hcl2json/package.json" ]; then
    echo "skip terraform: @cdktf/hcl2json not installed (tests/deps.sh)"; exit 0
fi
out=$(node "$ROOT/tests/tools/terraform_check.js" "$DEPS/node_modules" "$ROOT/deploy/terraform" 2>&1)
rc=$?
echo "$out"
if [ $rc -ne 0 ] && ! echo "$out" | grep -q '^FAIL '; then echo "FAIL terraform: checker exited $rc"; fi
echo "$out" | grep -q '^FAIL ' && exit 1
exit 0
