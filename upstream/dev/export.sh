#!/bin/sh
# export.sh: format-patch the series into upstream/ with the cover letter.
set -e
T=/root/.cache/keyhandover/chroot-trixie/usr/src/kh-upstream-dev
O=$(cd "$(dirname "$0")/.." && pwd)
rm -f $O/*.patch
cd $T && git format-patch -q --cover-letter --subject-prefix="RFC PATCH" -o $O c599a28fd..HEAD
python3 - "$O/0000-cover-letter.patch" "$O/dev" <<'PY'
import sys
p, d = sys.argv[1], sys.argv[2]
s=open(p).read()
s=s.replace("*** SUBJECT HERE ***", open(d + '/cover_subject.txt').read().strip())
s=s.replace("*** BLURB HERE ***", open(d + '/cover_blurb.txt').read().strip())
open(p,'w').write(s)
PY
ls $O
