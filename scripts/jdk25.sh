# Sourced by ./mvnw, ./litecluster and test scripts: points JAVA_HOME at a JDK 25.
# The machine's default java is 17; the build needs 25 and must find it without the user's help.
jdk25_home() {
  local candidate
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    if "$candidate/bin/java" -version 2>&1 | grep -q 'version "25'; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}
if ! JAVA_HOME=$(jdk25_home); then
  echo "litecluster: no JDK 25 found (looked at \$JAVA_HOME and /usr/lib/jvm/*25*); install Temurin 25" >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
