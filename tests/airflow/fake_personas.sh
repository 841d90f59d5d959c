#!/usr/bin/env bash
# Stand-in for the personas binary in the Airflow tests: appends its argv (one line per call)
# to $FAKE_PERSONAS_LOG and exits with the Nth code of $FAKE_PERSONAS_CODES (comma-separated)
# on its Nth call, the last code on every later call.
set -u
log="${FAKE_PERSONAS_LOG:?FAKE_PERSONAS_LOG is not set}"
printf '%s\n' "$*" >> "$log"
calls=$(wc -l < "$log")
IFS=, read -r -a codes <<< "${FAKE_PERSONAS_CODES:-0}"
i=$(( calls - 1 ))
if [ "$i" -ge "${#codes[@]}" ]; then i=$(( ${#codes[@]} - 1 )); fi
echo "fake personas: call $calls, exit ${codes[$i]}" >&2
exit "${codes[$i]}"
