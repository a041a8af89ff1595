#!/bin/sh
# Starts SeaweedFS (`weed mini`: master, volume, filer and S3 gateway in one process) for the
# compose stack. Mounted into the seaweedfs container; POSIX sh, so it runs in the registry image
# (Alpine) and in the CI image (Debian) alike.
#
# Environment: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (required: the one S3 identity, rendered
# into s3.json from s3.json.template), SEAWEED_DATA (default /data), SEAWEED_BIND (default
# 0.0.0.0), SEAWEED_S3_PORT (8333) and SEAWEED_PORT_BASE: the other ports are fixed offsets from it
# (master BASE, volume BASE+10, filer BASE+20, admin BASE+30; gRPC ports +10000), default 9333.
set -eu

: "${AWS_ACCESS_KEY_ID:?AWS_ACCESS_KEY_ID must be set (the S3 access key SeaweedFS accepts)}"
: "${AWS_SECRET_ACCESS_KEY:?AWS_SECRET_ACCESS_KEY must be set}"
data="${SEAWEED_DATA:-/data}"
bind="${SEAWEED_BIND:-0.0.0.0}"
s3_port="${SEAWEED_S3_PORT:-8333}"
base="${SEAWEED_PORT_BASE:-9333}"
here="$(dirname "$0")"

# Keys go into JSON and a sed replacement: refuse the characters that would need escaping.
for value in "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY"; do
    case "$value" in
        *[!A-Za-z0-9+/=._-]*) echo "error: S3 keys may only use A-Z a-z 0-9 + / = . _ -" >&2; exit 2 ;;
    esac
done
config="${TMPDIR:-/tmp}/recsys-s3.json"
umask 077
sed -e "s|@ACCESS_KEY@|$AWS_ACCESS_KEY_ID|" -e "s|@SECRET_KEY@|$AWS_SECRET_ACCESS_KEY|" \
    "$here/s3.json.template" >"$config"

mkdir -p "$data"
exec weed mini -dir="$data" -ip="${SEAWEED_ADVERTISE:-127.0.0.1}" -ip.bind="$bind" -s3.config="$config" \
    -s3.port="$s3_port" -s3.port.grpc="$((s3_port + 10000))" \
    -master.port="$base" -master.port.grpc="$((base + 10000))" \
    -volume.port="$((base + 10))" -volume.port.grpc="$((base + 10010))" \
    -filer.port="$((base + 20))" -filer.port.grpc="$((base + 10020))" \
    -admin.port="$((base + 30))" -admin.port.grpc="$((base + 10030))" \
    -admin.ui=false -webdav=false -s3.port.iceberg=0 -s3.port.lance=0
