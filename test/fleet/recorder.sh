#!/bin/bash
# sshd ForceCommand: append {kind:"ssh", node, time, user, command} to the fleet's shared event
# log, then run the command the client asked for (or the sftp server), like sshd would have.
# Kept in bash because it runs once per SSH session: a node.js start would cost ~50 ms each.
events=__EVENTS__
node=__NODE__
command=${SSH_ORIGINAL_COMMAND-}
sftp=/usr/lib/openssh/sftp-server
json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}
recorded=$command
if [ "$command" = "$sftp" ] || [ "$command" = internal-sftp ]; then recorded=sftp; fi
[ -n "$recorded" ] || recorded='(interactive shell)'
line="{\"kind\":\"ssh\",\"node\":$(json_string "$node"),\"time\":\"$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)\",\"user\":$(json_string "$(id -un)"),\"command\":$(json_string "$recorded")}"
{ flock 9; printf '%s\n' "$line" >&9; } 9>>"$events"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
if [ "$recorded" = sftp ]; then exec "$sftp"; fi
if [ -z "$command" ]; then exec /bin/bash -l; fi
exec /bin/bash -c "$command"
