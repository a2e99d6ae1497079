#!/bin/sh
# handin.sh - `make handin`: pack this repository, history included, into
# build/handin.tar.gz for handing in (upload that file as it is: Gradescope's
# autograder and `make grade-batch` both unpack it). Refuses with uncommitted
# changes (what is not committed would not be graded) and if the tarball is
# too big; names the untracked files it leaves out.
set -e
max_kib=${HANDIN_MAX_KIB:-20480}
cd "$(dirname "$0")/.."
if ! git rev-parse --git-dir >/dev/null 2>&1; then
    echo "handin: this is not a git repository" >&2; exit 1
fi
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    echo "handin: you have uncommitted changes; commit them first (git status lists them):" >&2
    git status --short --untracked-files=no >&2
    exit 1
fi
# Files git does not know (and does not ignore) are not handed in: say so,
# since a new file the student forgot to `git add` is a common loss.
untracked=$(git ls-files --others --exclude-standard)
if [ -n "$untracked" ]; then
    echo "handin: left out, not in git (git add and commit them if they are part of your work):"
    echo "$untracked" | head -n 20 | sed 's/^/    /'
    n=$(echo "$untracked" | wc -l)
    [ "$n" -le 20 ] || echo "    ... and $((n - 20)) more (git status lists them)"
fi
mkdir -p build
name=$(basename "$PWD")
# The tracked files as committed (names may hold spaces), and .git for the
# history: the commit and its date are what late days are counted from.
git ls-files -z | sed -z "s|^|$name/|" |
    tar -czf build/handin.tar.gz -C .. --null -T - "$name/.git"
kib=$(( $(wc -c < build/handin.tar.gz) / 1024 ))
if [ "$kib" -gt "$max_kib" ]; then
    rm -f build/handin.tar.gz
    echo "handin: the tarball would be $kib KiB, more than $max_kib KiB: remove big files from git" >&2
    exit 1
fi
echo "handin: build/handin.tar.gz ($kib KiB, $(git rev-list --count HEAD) commits, HEAD $(git rev-parse --short HEAD))"
echo "handin: hand in that file as it is (on Gradescope: upload build/handin.tar.gz; do not unpack it)"
