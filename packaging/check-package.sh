#!/usr/bin/env bash
# Package test (ctest: packaging_deb). From a finished build it:
#   1. builds the Debian package and the archive with cpack,
#   2. checks the package's control fields, its file list and its metadata
#      (desktop entry, AppStream, MIME XML),
#   3. installs it with apt and runs the INSTALLED programs: h3dpart --version,
#      h3dpart models, h3dpart run on an installed sample, and h3dpart-studio
#      under X for a few seconds,
#   4. purges it and checks that no file of it is left (nor its MIME types
#      or its desktop entry in the system caches),
#   5. unpacks the archive into a temporary folder and runs it from there.
# Needs root, apt and dpkg; exits 77 (ctest: skipped) without them. Leaves
# nothing installed, also when a step fails.
#
# usage: check-package.sh --build-dir DIR [--app-id ID] [--no-gui] [--keep]
set -euo pipefail

build_dir=""
app_id="org.h3dpart.Studio"
gui=1
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --app-id) app_id="$2"; shift 2 ;;
    --no-gui) gui=0; shift ;;
    --keep) keep=1; shift ;;
    *) echo "check-package.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$build_dir" ] || { echo "check-package.sh: --build-dir DIR is required" >&2; exit 2; }
build_dir="$(cd "$build_dir" && pwd)"

pkg=h3dpart
marker=/var/tmp/h3dpart-package-test.installed

say() { printf '== %s\n' "$*"; }
skip() { printf 'SKIPPED: %s\n' "$*"; exit 77; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
is_installed() { dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null | grep -q '^.i'; }

# --- can this machine run the test? ----------------------------------------------
[ "$(id -u)" -eq 0 ] || skip "installing the .deb needs root (run ctest as root, as CI does)"
for tool in apt-get dpkg dpkg-deb dpkg-query dpkg-shlibdeps cpack tar; do
  command -v "$tool" >/dev/null || skip "'$tool' is not available on this machine"
done
[ -f "$build_dir/CPackConfig.cmake" ] || fail "$build_dir/CPackConfig.cmake is missing: configure the build first"
if is_installed; then
  if [ -e "$marker" ]; then
    say "purging the h3dpart package an earlier run of this test left installed"
    apt-get purge -y -qq -o DPkg::Lock::Timeout=300 "$pkg" >/dev/null
  else
    skip "the h3dpart package is installed on this machine and not by this test; not touching it"
  fi
fi

work="$(mktemp -d /tmp/h3dpart-package-test.XXXXXX)"
xvfb_pid=""
cleanup() {
  local rc=$?
  if [ -e "$marker" ] && is_installed; then
    echo "check-package.sh: removing the package after a failed step" >&2
    apt-get purge -y -qq -o DPkg::Lock::Timeout=300 "$pkg" >/dev/null 2>&1 || true
  fi
  rm -f "$marker"
  if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; fi
  if [ "$keep" = 1 ]; then echo "check-package.sh: kept $work" >&2; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT

# The programs run with a clean environment: no model or sample folder from
# the build, a fresh HOME (the studio's settings), the C locale.
run_clean() {
  env -u H3DPART_MODELS -u H3DPART_SAMPLES HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" \
      XDG_CACHE_HOME="$work/home/.cache" LC_ALL=C.UTF-8 "$@"
}
mkdir -p "$work/home" "$work/run"

# --- 1. build the packages ---------------------------------------------------------
say "cpack -G 'DEB;TGZ' in $build_dir"
t0=$(now)
if ! (cd "$build_dir" && cpack -G "DEB;TGZ" -B "$work/packages") >"$work/cpack.log" 2>&1; then
  tail -n 60 "$work/cpack.log"
  fail "cpack failed (log above)"
fi
t_cpack=$(secs "$t0" "$(now)")
grep -i 'warning' "$work/cpack.log" | grep -v 'Cannot find library' | head -n 20 || true
deb=$(find "$work/packages" -maxdepth 1 -name "${pkg}_*.deb" | head -n 1)
tgz=$(find "$work/packages" -maxdepth 1 -name "${pkg}-*.tar.gz" | head -n 1)
[ -f "$deb" ] || fail "no .deb was produced (see $work/cpack.log)"
[ -f "$tgz" ] || fail "no .tar.gz was produced (see $work/cpack.log)"
echo "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB) and $(basename "$tgz") ($(du -k "$tgz" | cut -f1) KiB) in ${t_cpack} s"

# --- 2. control fields, file list, metadata ------------------------------------------
say "control fields"
dpkg-deb --field "$deb" Package Version Architecture Maintainer Installed-Size Section Priority Depends Recommends
field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = "$pkg" ] || fail "Package field is '$(field Package)', not '$pkg'"
[ "$(field Section)" = "graphics" ] || fail "Section field is '$(field Section)', not 'graphics'"
field Maintainer | grep -Eq '^.+ <[^>]+@[^>]+>$' || fail "Maintainer field '$(field Maintainer)' is not 'Name <address>'"
depends=$(field Depends)
bundled=0
dpkg-deb --contents "$deb" | grep '/usr/lib/h3dpart/libtorch' >/dev/null && bundled=1
required_deps=(libc6 libstdc++6 libassimp libqt6core6)
[ "$bundled" = 1 ] || required_deps+=(libtorch)
for lib in "${required_deps[@]}"; do
  echo "$depends" | grep -q "$lib" || fail "Depends lacks $lib (dpkg-shlibdeps did not run?): $depends"
done
[ "$gui" = 0 ] || echo "$depends" | grep -Eq 'libqt6widgets6|libvtk9' || fail "Depends lacks the GUI libraries: $depends"
[ "$(field Description | wc -l)" -ge 3 ] || fail "Description has no long description"

say "file list"
dpkg-deb --contents "$deb" | sed 's/ -> .*//' | awk '{print $NF}' | sed 's|^\./|/|' >"$work/deb-contents.txt"
expect=(/usr/bin/h3dpart /usr/bin/h3dpart-runner /usr/share/man/man1/h3dpart.1.gz
        /usr/share/h3dpart/models/segmenter/manifest.json /usr/share/h3dpart/models/generator/manifest.json
        /usr/share/h3dpart/samples/table.glb)
if [ "$gui" = 1 ]; then
  expect+=(/usr/bin/h3dpart-studio /usr/share/man/man1/h3dpart-studio.1.gz
           "/usr/share/applications/$app_id.desktop" "/usr/share/metainfo/$app_id.metainfo.xml"
           "/usr/share/mime/packages/$app_id.xml" "/usr/share/icons/hicolor/scalable/apps/$app_id.svg"
           "/usr/share/icons/hicolor/48x48/apps/$app_id.png" "/usr/share/icons/hicolor/256x256/apps/$app_id.png")
fi
for f in "${expect[@]}"; do
  grep -qxF "$f" "$work/deb-contents.txt" || fail "the package lacks $f"
done
outside=$(grep -v -E '^/usr(/|$)|^/$' "$work/deb-contents.txt" || true)
[ -z "$outside" ] || fail "the package installs outside /usr: $outside"
grep -q '^/usr/local' "$work/deb-contents.txt" && fail "the package installs into /usr/local"
unreadable=$(dpkg-deb --contents "$deb" | awk '$1 !~ /^.......r/ {print $1, $NF}')
[ -z "$unreadable" ] || fail "entries that not everyone can read: $unreadable"
owners=$(dpkg-deb --contents "$deb" | awk '$2 != "root/root" {print $2, $NF}')
[ -z "$owners" ] || fail "entries not owned by root: $owners"
echo "$(grep -vc '/$' "$work/deb-contents.txt") files, all under /usr"

say "metadata"
dpkg-deb --extract "$deb" "$work/root"
[ "$(stat -c %a "$work/root/usr/bin/h3dpart")" = 755 ] || fail "/usr/bin/h3dpart is not mode 755"
if [ "$gui" = 1 ]; then
  if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$work/root/usr/share/applications/$app_id.desktop" || fail "desktop-file-validate"
    echo "desktop entry: valid"
  else echo "desktop-file-validate not installed (desktop-file-utils): not checked"; fi
  if command -v appstreamcli >/dev/null; then
    appstreamcli validate --no-net "$work/root/usr/share/metainfo/$app_id.metainfo.xml" || fail "appstreamcli validate"
  else echo "appstreamcli not installed (appstream): not checked"; fi
  if command -v xmllint >/dev/null; then
    xmllint --noout "$work/root/usr/share/mime/packages/$app_id.xml" || fail "MIME XML is not well-formed"
  fi
  grep -q '^Exec=h3dpart-studio' "$work/root/usr/share/applications/$app_id.desktop" || fail "desktop Exec"
fi

# --- 3. install and run the installed programs ---------------------------------------
say "apt-get install $(basename "$deb")"
export DEBIAN_FRONTEND=noninteractive
# apt reads the file as user _apt: give it a copy it can read.
install -m 0644 "$deb" "/tmp/$(basename "$deb")"
local_deb="/tmp/$(basename "$deb")"
touch "$marker"
t0=$(now)
if ! apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 "$local_deb" >"$work/install.log" 2>&1; then
  rm -f "$local_deb"
  tail -n 40 "$work/install.log"
  fail "apt-get install failed (log above)"
fi
t_install=$(secs "$t0" "$(now)")
rm -f "$local_deb"
is_installed || fail "dpkg does not list h3dpart as installed after apt-get install"
echo "installed in ${t_install} s"
dpkg-query -L "$pkg" | sort -u >"$work/installed-files.txt"
: >"$work/installed-regular.txt"
: >"$work/installed-dirs.txt"
while IFS= read -r p; do
  [ -n "$p" ] || continue
  if [ -d "$p" ] && [ ! -L "$p" ]; then echo "$p" >>"$work/installed-dirs.txt"
  elif [ -e "$p" ] || [ -L "$p" ]; then echo "$p" >>"$work/installed-regular.txt"
  else fail "dpkg lists $p but it is not on disk"; fi
done <"$work/installed-files.txt"
echo "$(wc -l <"$work/installed-regular.txt") files, $(wc -l <"$work/installed-dirs.txt") directories installed"

for exe in /usr/bin/h3dpart /usr/bin/h3dpart-runner; do
  missing_libs=$(ldd "$exe" | grep 'not found' || true)
  [ -z "$missing_libs" ] || fail "$exe: libraries not found: $missing_libs"
done
# Only the runner loads LibTorch; the front ends do not.
# (ldd's whole output first: grep -q stops reading early, and under pipefail
# the writer's SIGPIPE would fail the pipeline.)
front_libs=$(ldd /usr/bin/h3dpart)
runner_libs=$(ldd /usr/bin/h3dpart-runner)
grep -Eq 'libtorch|libc10' <<<"$front_libs" && fail "/usr/bin/h3dpart loads LibTorch"
grep -q 'libtorch' <<<"$runner_libs" || fail "/usr/bin/h3dpart-runner does not load LibTorch"
if [ "$bundled" = 1 ]; then
  grep -q 'libtorch[^ ]* => /usr/\(bin/\.\./\)\?lib/h3dpart/' <<<"$runner_libs" \
    || fail "/usr/bin/h3dpart-runner does not load the bundled LibTorch from /usr/lib/h3dpart"
  echo "LibTorch: bundled in /usr/lib/h3dpart"
fi

cd "$work/run"
say "/usr/bin/h3dpart --version"
version_out=$(run_clean /usr/bin/h3dpart --version) || fail "h3dpart --version exited $?"
echo "$version_out"
upstream_version=$(field Version | sed 's/-[^-]*$//')
echo "$version_out" | grep -qF "$upstream_version" || fail "--version does not print the package version $upstream_version"

say "/usr/bin/h3dpart models"
set +e
run_clean /usr/bin/h3dpart models >"$work/models.txt" 2>&1
rc=$?
set -e
cat "$work/models.txt"
[ "$rc" = 0 ] || fail "h3dpart models exited $rc"
run_clean /usr/bin/h3dpart models --json >"$work/models.json" 2>/dev/null || fail "h3dpart models --json failed"
grep -q '"folder": "/usr/share/h3dpart/models/segmenter"' "$work/models.json" \
  || fail "h3dpart models does not use /usr/share/h3dpart/models: $(grep '"folder"' "$work/models.json")"
echo "models found in /usr/share/h3dpart/models"
if command -v runuser >/dev/null && id nobody >/dev/null 2>&1; then
  # Every installed file must be readable by an ordinary user.
  (cd / && runuser -u nobody -- env -u H3DPART_MODELS -u H3DPART_SAMPLES HOME=/tmp LC_ALL=C.UTF-8 \
      /usr/bin/h3dpart models >/dev/null 2>"$work/models-nobody.txt") \
    || { cat "$work/models-nobody.txt"; fail "h3dpart models fails for an ordinary user (file permissions?)"; }
  echo "h3dpart models as user nobody: ok"
fi

sample=/usr/share/h3dpart/samples/table.glb
say "/usr/bin/h3dpart run $sample"
t0=$(now)
set +e
run_clean /usr/bin/h3dpart --quiet run "$sample" -o "$work/run/table-parts.glb" --json "$work/run/report.json" \
  >"$work/run.log" 2>&1
rc=$?
set -e
t_run=$(secs "$t0" "$(now)")
cat "$work/run.log"
[ "$rc" = 0 ] || fail "h3dpart run exited $rc"
[ "$(head -c 4 "$work/run/table-parts.glb")" = "glTF" ] || fail "h3dpart run wrote no GLB file"
echo "run: $(du -k "$work/run/table-parts.glb" | cut -f1) KiB GLB in ${t_run} s"
# The models ran in the installed runner, which ended with the sequential run.
if pgrep -f '^/usr/bin/h3dpart-runner' >/dev/null; then fail "an h3dpart-runner is left after a sequential run"; fi
if command -v runuser >/dev/null && id nobody >/dev/null 2>&1; then
  say "/usr/bin/h3dpart segment $sample as user nobody (through /usr/bin/h3dpart-runner)"
  nobody_dir=$(mktemp -d /tmp/h3dpart-nobody.XXXXXX)
  chmod 777 "$nobody_dir"
  (cd / && runuser -u nobody -- env -u H3DPART_MODELS -u H3DPART_SAMPLES -u H3DPART_RUNNER HOME=/tmp \
      LC_ALL=C.UTF-8 /usr/bin/h3dpart --quiet --verbose segment "$sample" -o "$nobody_dir/seg.ply" \
      >/dev/null 2>"$work/segment-nobody.txt") \
    || { cat "$work/segment-nobody.txt"; rm -rf "$nobody_dir"; fail "h3dpart segment fails for an ordinary user"; }
  grep -q 'runner-start' "$work/segment-nobody.txt" || { rm -rf "$nobody_dir"; fail "segment did not start the runner"; }
  [ -s "$nobody_dir/seg.ply" ] || { rm -rf "$nobody_dir"; fail "segment as nobody wrote nothing"; }
  rm -rf "$nobody_dir"
  echo "segment as user nobody through the installed runner: ok"
fi

if command -v man >/dev/null; then
  man -w h3dpart | grep -q '^/usr/share/man/man1/h3dpart.1.gz$' || fail "man -w h3dpart does not find the page"
  MANWIDTH=80 man --warnings -E UTF-8 -l /usr/share/man/man1/h3dpart.1.gz 2>&1 >/dev/null | grep . && fail "man page warnings"
  echo "man page: found, no warnings"
fi

if [ "$gui" = 1 ]; then
  if command -v update-desktop-database >/dev/null; then
    grep -q "$app_id.desktop" /usr/share/applications/mimeinfo.cache \
      || fail "the desktop entry's MIME types are not in /usr/share/applications/mimeinfo.cache"
  fi
  if command -v update-mime-database >/dev/null; then
    [ -f /usr/share/mime/application/vnd.ply.xml ] || fail "the MIME database does not know application/vnd.ply"
    grep -q 'application/vnd.off' /usr/share/mime/globs2 || fail "the MIME database has no *.off glob"
    grep -q 'application/x-h3dpart-project:\*\.h3dp' /usr/share/mime/globs2 \
      || fail "the MIME database has no *.h3dp glob"
  fi

  ldd_gui=$(ldd /usr/bin/h3dpart-studio | grep 'not found' || true)
  [ -z "$ldd_gui" ] || fail "/usr/bin/h3dpart-studio: libraries not found: $ldd_gui"
  if [ -z "${DISPLAY:-}" ] && command -v Xvfb >/dev/null; then
    for n in $(seq 120 140); do
      [ -e "/tmp/.X$n-lock" ] && continue
      Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
      xvfb_pid=$!
      export DISPLAY=":$n"
      for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
      break
    done
  fi
  if [ -z "${DISPLAY:-}" ]; then
    echo "no DISPLAY and no Xvfb: h3dpart-studio not started"
  else
    say "h3dpart-studio for 5 s on DISPLAY=$DISPLAY"
    set +e
    run_clean env QT_QPA_PLATFORM=xcb timeout 5 /usr/bin/h3dpart-studio >"$work/studio.log" 2>&1
    rc=$?
    set -e
    if [ "$rc" != 124 ]; then
      cat "$work/studio.log"
      fail "h3dpart-studio exited $rc within 5 s (124 = still running was expected)"
    fi
    echo "still running after 5 s: good"
    if run_clean /usr/bin/h3dpart-studio --help 2>/dev/null | grep -q -- '--quit-after-first-frame'; then
      say "h3dpart-studio $sample until the first frame"
      set +e
      run_clean env QT_QPA_PLATFORM=xcb timeout 120 /usr/bin/h3dpart-studio --quit-after-first-frame "$sample" \
        >"$work/studio-frame.log" 2>&1
      rc=$?
      set -e
      grep -q 'main_to_first_frame_ms' "$work/studio-frame.log" \
        || { cat "$work/studio-frame.log"; fail "h3dpart-studio drew no frame (exit $rc)"; }
      grep 'main_to_first_frame_ms' "$work/studio-frame.log"
      # A crash while quitting is a bug like any other.
      [ "$rc" = 0 ] || fail "h3dpart-studio drew its first frame but exited $rc while quitting"
    fi
  fi
fi
cd "$work"

# --- 4. purge and look for leftovers ------------------------------------------------
say "apt-get purge $pkg"
t0=$(now)
apt-get purge -y -o DPkg::Lock::Timeout=300 "$pkg" >"$work/purge.log" 2>&1 || { tail -n 40 "$work/purge.log"; fail "apt-get purge failed"; }
t_purge=$(secs "$t0" "$(now)")
rm -f "$marker"
is_installed && fail "h3dpart is still installed after apt-get purge"
dpkg-query -W "$pkg" >/dev/null 2>&1 && ! dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" | grep -q '^[up]n' \
  && fail "dpkg still has a record of h3dpart: $(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg")"
left=0
while IFS= read -r p; do
  if [ -e "$p" ] || [ -L "$p" ]; then echo "left behind: $p"; left=1; fi
done <"$work/installed-regular.txt"
while IFS= read -r p; do
  [ -d "$p" ] || continue
  # A directory may stay if it still holds something or another package owns it.
  if [ -z "$(ls -A "$p")" ] && ! dpkg-query -S "$p" >/dev/null 2>&1; then
    echo "left behind: empty directory $p"; left=1
  fi
done <"$work/installed-dirs.txt"
[ ! -e /usr/share/h3dpart ] || { echo "left behind: /usr/share/h3dpart"; left=1; }
if [ "$gui" = 1 ]; then
  if [ -f /usr/share/applications/mimeinfo.cache ] && grep -q "$app_id.desktop" /usr/share/applications/mimeinfo.cache; then
    echo "left behind: $app_id.desktop in /usr/share/applications/mimeinfo.cache"; left=1
  fi
  if [ -f /usr/share/mime/application/vnd.ply.xml ] && ! grep -lq 'application/vnd.ply' /usr/share/mime/packages/*.xml; then
    echo "left behind: application/vnd.ply in the MIME database"; left=1
  fi
fi
[ "$left" = 0 ] || fail "apt-get purge left files behind (listed above)"
echo "purged in ${t_purge} s; all $(wc -l <"$work/installed-regular.txt") files gone"

# --- 5. the archive, from a folder of its own -------------------------------------------
say "archive: unpack into a temporary folder and run bin/h3dpart from there"
mkdir -p "$work/any folder"
tar -xzf "$tgz" -C "$work/any folder"
top=$(find "$work/any folder" -mindepth 1 -maxdepth 1 -type d | head -n 1)
[ -x "$top/bin/h3dpart" ] || fail "the archive has no bin/h3dpart under one top folder"
[ -f "$top/share/h3dpart/models/segmenter/manifest.json" ] || fail "the archive has no share/h3dpart/models"
absolute=$(tar -tzf "$tgz" | grep '^/' || true)
[ -z "$absolute" ] || fail "the archive holds absolute paths: $absolute"
cd /
set +e
run_clean "$top/bin/h3dpart" models >"$work/tar-models.txt" 2>&1
rc=$?
set -e
cat "$work/tar-models.txt"
[ "$rc" = 0 ] || fail "the archive's bin/h3dpart models exited $rc"
run_clean "$top/bin/h3dpart" models --json >"$work/tar-models.json" 2>/dev/null || fail "models --json failed"
grep -qF "\"folder\": \"$top/share/h3dpart/models/segmenter\"" "$work/tar-models.json" \
  || fail "the archive's bin/h3dpart does not use its own share/h3dpart/models: $(grep '"folder"' "$work/tar-models.json")"
echo "the archive uses its own models in $top/share/h3dpart/models"
run_clean "$top/bin/h3dpart" --version >/dev/null || fail "the archive's bin/h3dpart --version failed"

say "summary"
printf 'deb:      %s  %s KiB (installed size %s KiB)\n' "$(basename "$deb")" "$(du -k "$deb" | cut -f1)" "$(field Installed-Size)"
printf 'tar.gz:   %s  %s KiB\n' "$(basename "$tgz")" "$(du -k "$tgz" | cut -f1)"
printf 'cpack %s s, install %s s, run %s s, purge %s s\n' "$t_cpack" "$t_install" "$t_run" "$t_purge"
echo "packaging_deb: passed"
