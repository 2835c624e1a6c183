# A real browser for the viewer's tests (tests/ui/test_ui_browser.py): Debian's Chromium and
# its driver, from apt; Selenium drives them through /usr/bin/chromedriver, so nothing is
# downloaded when the tests run. Sourced by .ci/run.

install_browser() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    return 0
  fi
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
}

check_browser() {
  /usr/bin/chromium --version
  /usr/bin/chromedriver --version
}
