#!/bin/bash
# The layout rule of docs/architecture.md ("Layout"): each program's folder
# holds one program and includes no other program's folder; what two
# programs share lives in a library folder, and no library includes a
# program. Fails naming every include that breaks it, so a shortcut through
# another program's folder is caught at once rather than found by the next
# reader.
set -u
source_dir=${1:?usage: program_includes_test.sh SOURCE_DIR}
programs=(supervisor worker mailer peerd cli)
libraries=(common config state process worker_runs peering ipc jobs channels)
broken=0

# report FOLDER INCLUDED WHY: every include of INCLUDED/ in FOLDER/.
report() {
  local folder=$1 included=$2 why=$3 hit
  while IFS= read -r hit; do
    echo "$hit: $folder/ includes $included/ ($why)"
    broken=1
  done < <(grep -rn --include='*.h' --include='*.cpp' "#include \"$included/" "$source_dir/$folder" |
           sed "s|^$source_dir/||")
}

for program in "${programs[@]}"; do
  for other in "${programs[@]}"; do
    [ "$program" = "$other" ] || report "$program" "$other" "move what they share into a library folder"
  done
done
for library in "${libraries[@]}"; do
  [ -d "$source_dir/$library" ] || { echo "$library/: the library folder is missing"; broken=1; continue; }
  for program in "${programs[@]}"; do
    report "$library" "$program" "a library must not depend on a program"
  done
done
[ "$broken" = 0 ] && echo "every program folder includes only library folders"
exit "$broken"
