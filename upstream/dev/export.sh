#!/bin/sh
# export.sh: format-patch the series into the worktree with the cover letter.
set -e
T=/root/.cache/keyhandover/chroot-trixie/usr/src/kh-upstream-dev
O=/work/wt-upstream/upstream
rm -f $O/*.patch
cd $T && git format-patch -q --cover-letter --subject-prefix="RFC PATCH" -o $O c599a28fd..HEAD
python3 - "$O/0000-cover-letter.patch" <<'PY'
import sys
p=sys.argv[1]
s=open(p).read()
s=s.replace("*** SUBJECT HERE ***", open('/work/wt-upstream/upstream/dev/cover_subject.txt').read().strip())
s=s.replace("*** BLURB HERE ***", open('/work/wt-upstream/upstream/dev/cover_blurb.txt').read().strip())
open(p,'w').write(s)
PY
ls $O
