# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# The same extension module built by hand with tmcc -shared and
# python3-config's flags, imported by the system python3.
source "$TM_HOSTS/lib.sh"
source "$TM_HOSTS/python/ext-src.sh"
# shellcheck disable=SC2046 # --includes prints several -I words
"$TMCC" -shared -fPIC -O1 $("$PY-config" --includes) tmext.c \
  -o "tmext$("$PY-config" --extension-suffix)"
check_ext by-hand
