#!/bin/bash
# The layout rule of docs/architecture.md ("Directories"): each program's
# folder holds one program and includes no other program's folder; what two
# programs share lives in a library folder. Fails naming every include that
# breaks it, so a shortcut through another program's folder is caught at
# once rather than found by the next reader.
set -u
source_dir=${1:?usage: program_includes_test.sh SOURCE_DIR}
programs=(supervisor worker mailer peerd cli)
broken=0
for program in "${programs[@]}"; do
  for other in "${programs[@]}"; do
    [ "$program" = "$other" ] && continue
    while IFS= read -r hit; do
      echo "$hit: $program/ includes $other/ (move what they share into a library folder)"
      broken=1
    done < <(grep -rn --include='*.h' --include='*.cpp' "#include \"$other/" "$source_dir/$program" |
             sed "s|^$source_dir/||")
  done
done
# The library folders include no program's folder either.
for library in common config state process worker_runs peering ipc jobs; do
  [ -d "$source_dir/$library" ] || { echo "$library/: the library folder is missing"; broken=1; continue; }
  for program in "${programs[@]}"; do
    while IFS= read -r hit; do
      echo "$hit: library $library/ includes program $program/"
      broken=1
    done < <(grep -rn --include='*.h' --include='*.cpp' "#include \"$program/" "$source_dir/$library" |
             sed "s|^$source_dir/||")
  done
done
[ "$broken" = 0 ] && echo "every program folder includes only library folders"
exit "$broken"
