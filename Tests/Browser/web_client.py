#!/usr/bin/env python3
"""The web client in a real headless Chromium (Debian's, driven by selenium and chromium-driver).

Usage: web_client.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD [OCCURRENCE_ID]

Two browser sessions — Ann and Bob — register and sign in through the pages, join Ohio, and:
- one sends a message, the other sees it live; the other replies in its thread; each sees the
  other online; a message that came while one was elsewhere is marked new;
- the second goes offline, misses three messages, comes back and sees each exactly once;
- Ann asks a question, Bob answers it from his session, Ann sees the answer arrive and accepts it;
- a moderator (a third session) hides a message and it disappears from Bob's page;
- with OCCURRENCE_ID (its lobby open on the server's clock): Ann said going and joins, Bob knocks
  and Ann admits him, Ann starts the call, and both RTCPeerConnections reach `connected` with
  Chromium's fake camera and microphone on loopback.
Screenshots of each screen go to screenshots/ at the repository root (ignored by git).
Exits 0 when every check holds, 1 with the failures listed otherwise.
"""
import json
import os
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE = sys.argv[1].rstrip("/")
ADMIN_EMAIL, ADMIN_PASSWORD = sys.argv[2], sys.argv[3]
OCCURRENCE = sys.argv[4] if len(sys.argv) > 4 else None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHOTS = os.path.join(ROOT, "screenshots")
os.makedirs(SHOTS, exist_ok=True)
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message, flush=True)
    else:
        print("ok:", message, flush=True)
    return condition


def call(method, path, body=None, token=None):
    request = urllib.request.Request(BASE + path, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request) as response:
        text = response.read().decode()
        return json.loads(text) if text else None


def browser(name):
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,900",
                     "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", "--disable-gpu"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
    driver.name_for_logs = name
    return driver


def wait(driver, condition, timeout=15, what="a condition"):
    try:
        # A view re-renders as it loads: an element found a moment ago may be gone; look again.
        return WebDriverWait(driver, timeout, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(
            lambda d: condition(d))
    except TimeoutException:
        check(False, f"{driver.name_for_logs}: timed out waiting for {what}")
        return None


# Checks run on every screen: every form control and button has an accessible name, and all
# visible text meets WCAG AA contrast (4.5:1; 3:1 for large text) against its background.
AUDIT_JS = """
function luminance([r, g, b]) {
  const c = [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}
function rgba(text) { const m = text.match(/[\\d.]+/g) || [0, 0, 0, 0]; return m.map(Number).concat([1]).slice(0, 4); }
function background(element) {
  for (let e = element; e; e = e.parentElement) {
    const c = rgba(getComputedStyle(e).backgroundColor);
    if (c[3] > 0.5) return c;
  }
  return [255, 255, 255, 1];
}
const problems = [];
for (const control of document.querySelectorAll('input:not([type=hidden]), select, textarea, button')) {
  if (control.offsetParent === null) continue;
  const named = control.labels?.length || control.getAttribute('aria-label') || control.getAttribute('aria-labelledby')
    || (control.tagName === 'BUTTON' && control.textContent.trim());
  if (!named) problems.push('no accessible name: ' + control.outerHTML.slice(0, 120));
}
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const seen = new Set();
while (walker.nextNode()) {
  const element = walker.currentNode.parentElement;
  if (!element || seen.has(element) || !walker.currentNode.textContent.trim() || element.offsetParent === null) continue;
  seen.add(element);
  if (element.closest('video, .visually-hidden')) continue;
  const style = getComputedStyle(element);
  const fg = rgba(style.color), bg = background(element);
  const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
  const ratio = (l1 + 0.05) / (l2 + 0.05);
  const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
  const large = size >= 24 || (bold && size >= 18.66);
  if (ratio < (large ? 3 : 4.5) && !element.disabled && !element.closest('[disabled]')) {
    problems.push('contrast ' + ratio.toFixed(2) + ': ' + element.tagName + ' "' + element.textContent.trim().slice(0, 40) + '"');
  }
}
return problems;
"""


def shot(driver, name):
    driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))
    problems = driver.execute_script(AUDIT_JS)
    check(not problems, f"{name}: labelled controls and AA contrast" + ("" if not problems else f": {problems[:5]}"))


def by_label(driver, text):
    """The form control a <label> with this text names."""
    label = driver.find_element(By.XPATH, f"//label[normalize-space()={json.dumps(text)}]")
    return driver.find_element(By.ID, label.get_attribute("for"))


def button(driver, text):
    return driver.find_element(By.XPATH, f"//button[normalize-space()={json.dumps(text)}]")


def heading(driver):
    return driver.find_element(By.TAG_NAME, "h1").text


def register(driver, name, email):
    driver.get(BASE + "/#/register")
    wait(driver, lambda d: heading(d) == "Register", what="the register page")
    shot(driver, "register")
    by_label(driver, "Name").send_keys(name)
    by_label(driver, "Email").send_keys(email)
    by_label(driver, "Password").send_keys("correct horse battery staple")
    button(driver, "Register").click()
    wait(driver, lambda d: heading(d) == "The network", what="the network home after registering")
    check(name in driver.find_element(By.ID, "account").text, f"{name} is signed in")


def join_ohio(driver):
    driver.get(BASE + "/#/c/ohio")
    wait(driver, lambda d: "Ohio" in heading(d), what="Ohio's page")
    join = wait(driver, lambda d: d.find_elements(By.XPATH, "//button[starts-with(normalize-space(), 'Join ')]"), what="the join button")
    if join:
        join[0].click()
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "ul.channels a"), what="Ohio's channels after joining")


def message_texts(driver):
    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, "#messages .message .body")]


def send(driver, text):
    box = driver.find_element(By.CSS_SELECTOR, ".composer textarea")
    box.send_keys(text)
    button(driver, "Send").click()


def main():
    admin_token = call("POST", "/api/v1/auth/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})["token"]
    ann, bob, mod = browser("Ann"), browser("Bob"), browser("Moderator")
    try:
        # The network home and the status map, signed out.
        ann.get(BASE + "/")
        wait(ann, lambda d: heading(d) == "The network", what="the network home")
        tiles = ann.find_elements(By.CSS_SELECTOR, ".tilemap .tile")
        check(len(tiles) >= 50, f"the status map has a tile per state ({len(tiles)})")
        check(len(ann.find_elements(By.CSS_SELECTOR, ".tilemap .level-initiating, .tilemap .level-improving, .tilemap .level-innovating")) > 0,
              "states are coloured by readiness")
        shot(ann, "home")
        ann.get(BASE + "/status")
        wait(ann, lambda d: heading(d) == "SEL status report", what="the /status page")
        shot(ann, "status")

        stamp = str(int(time.time() * 1000))
        register(ann, "Ann Lee", f"ann{stamp}@example.org")
        register(bob, "Bob Ray", f"bob{stamp}@example.org")
        for driver in (ann, bob):
            join_ohio(driver)
        # Ann facilitates Ohio's calls (granted by an admin through the API).
        ann_id = call("POST", "/api/v1/auth/login", {"email": f"ann{stamp}@example.org", "password": "correct horse battery staple"}, token=None)["user"]["id"]
        call("POST", "/api/v1/communities/ohio/grants", {"user_id": ann_id, "role": "facilitator"}, token=admin_token)
        shot(ann, "community")

        # A channel, live in both sessions.
        general = ann.find_element(By.XPATH, "//ul[@class='channels']//a[normalize-space()='# general']").get_attribute("href")
        for driver in (ann, bob):
            driver.get(general)
            wait(driver, lambda d: heading(d) == "# general", what="the general channel")
            wait(driver, lambda d: d.execute_script("return document.getElementById('connection').dataset.status") == "open",
                 what="the stream to open")
        send(ann, f"Hello from Ann {stamp}")
        check(wait(bob, lambda d: f"Hello from Ann {stamp}" in message_texts(d), what="Ann's message on Bob's page") is not None,
              "a message sent in one session appears live in the other")
        # Script in a message stays text on both pages.
        xss = f'<img src=x onerror="window.__xss=1"> <script>window.__xss=1</script> [x](javascript:window.__xss=1) {stamp}'
        send(ann, xss)
        wait(bob, lambda d: any(stamp in text and "onerror" in text for text in message_texts(d)), what="the script message shown as text")
        for driver in (ann, bob):
            check(driver.execute_script("return window.__xss === undefined && !document.querySelector('#messages img, #messages script')"),
                  f"{driver.name_for_logs}: script in a message stays inert")
        # A reply in the message's thread, live on the other page.
        bob.find_element(By.XPATH, f"//li[contains(@class,'message')][.//div[@class='body'][normalize-space()='Hello from Ann {stamp}']]"
                                   "//button[normalize-space()='Reply']").click()
        by_label(bob, "Reply to Ann Lee").send_keys(f"A reply from Bob {stamp}")
        button(bob, "Send reply").click()
        replies = wait(ann, lambda d: d.find_elements(
            By.XPATH, f"//li[contains(@class,'message')][.//div[@class='body'][normalize-space()='Hello from Ann {stamp}']]"
                      "/button[contains(@class,'replies')][normalize-space()='1 reply']"),
                       what="the reply count on Ann's page")
        if replies:
            replies[0].click()
        check(wait(ann, lambda d: any(f"A reply from Bob {stamp}" in e.text for e in d.find_elements(By.CSS_SELECTOR, "#messages .thread")),
                   what="Bob's reply in Ann's thread") is not None, "a thread reply reaches the other session, under its message")
        check(wait(ann, lambda d: "Bob Ray" in d.find_element(By.ID, "presence").text, what="Bob online on Ann's page") is not None,
              "each sees the other online")
        shot(bob, "channel")
        # Bob steps away; a message comes; back in the channel it is marked new.
        bob.get(BASE + "/#/c/ohio")
        wait(bob, lambda d: "Ohio" in heading(d), what="Ohio's page")
        send(ann, f"While you were away {stamp}")
        wait(ann, lambda d: f"While you were away {stamp}" in message_texts(d), what="Ann's message")
        bob.get(general)
        wait(bob, lambda d: f"While you were away {stamp}" in message_texts(d), what="the message on Bob's return")
        check(bool(bob.find_elements(By.XPATH, f"//li[@class='unread-divider']/following-sibling::li[.//div[@class='body'][normalize-space()='While you were away {stamp}']]")),
              "what came while away is marked new")
        wait(bob, lambda d: d.execute_script("return document.getElementById('connection').dataset.status") == "open", what="the stream")

        # Bob goes offline, misses three messages, comes back: each appears once.
        bob.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
        wait(bob, lambda d: d.execute_script("return document.getElementById('connection').dataset.status") in ("offline", "reconnecting"),
             what="Bob's page to notice it is offline")
        check("Offline" in bob.find_element(By.ID, "connection").text or "Reconnecting" in bob.find_element(By.ID, "connection").text,
              "the page says it is offline")
        shot(bob, "channel-offline")
        for index in range(1, 4):
            send(ann, f"Missed {index} {stamp}")
        wait(ann, lambda d: f"Missed 3 {stamp}" in message_texts(d), what="Ann's own third message")
        bob.delete_network_conditions()
        bob.execute_script("window.dispatchEvent(new Event('online'))")
        wait(bob, lambda d: f"Missed 3 {stamp}" in message_texts(d), timeout=20, what="the missed messages on Bob's page")
        texts = message_texts(bob)
        check(all(texts.count(f"Missed {index} {stamp}") == 1 for index in range(1, 4)), f"each missed message shows once after reconnecting: {texts}")
        order = [text for text in texts if text.startswith("Missed") and text.endswith(stamp)]
        check(order == [f"Missed {index} {stamp}" for index in range(1, 4)], f"in order: {order}")

        # A moderator, in a third session, hides a message: it disappears from Bob's page.
        mod.get(BASE + "/#/signin")
        wait(mod, lambda d: heading(d) == "Sign in", what="the sign-in page")
        shot(mod, "signin")
        by_label(mod, "Email").send_keys(ADMIN_EMAIL)
        by_label(mod, "Password").send_keys(ADMIN_PASSWORD)
        button(mod, "Sign in").click()
        wait(mod, lambda d: heading(d) == "The network", what="the moderator signed in")
        mod.get(general)
        target = wait(mod, lambda d: d.find_elements(
            By.XPATH, f"//li[contains(@class,'message')][.//div[@class='body'][normalize-space()='Missed 3 {stamp}']]"), what="the message to hide")
        if target:
            target[0].find_element(By.XPATH, ".//button[normalize-space()='Hide']").click()
            by_label(mod, "Reason").send_keys("Off topic for this channel")
            button(mod, "Hide message").click()
        check(wait(bob, lambda d: f"Missed 3 {stamp}" not in message_texts(d), what="the hidden message to go") is not None,
              "a message a moderator hides disappears from the other session")

        # Bob flags a message; the moderator finds it in the review queue; the audit log shows the hide.
        flagged = bob.find_element(By.XPATH, f"//li[contains(@class,'message')][.//div[@class='body'][normalize-space()='While you were away {stamp}']]")
        flagged.find_element(By.XPATH, ".//button[normalize-space()='Flag']").click()
        Select(by_label(bob, "Why flag it?")).select_by_value("spam")
        button(bob, "Send flag").click()
        wait(bob, lambda d: not d.find_elements(By.XPATH, "//button[normalize-space()='Send flag']"), what="the flag to be sent")
        mod.get(BASE + "/#/c/ohio/moderation")
        check(wait(mod, lambda d: any(f"While you were away {stamp}" in item.text for item in d.find_elements(By.CSS_SELECTOR, "article.review-item")),
                   what="the flagged message in the queue") is not None, "a flag reaches the moderators' review queue")
        shot(mod, "moderation")
        mod.get(BASE + "/#/c/ohio/audit")
        check(wait(mod, lambda d: len(d.find_elements(By.CSS_SELECTOR, "table#audit tbody tr")) >= 1, what="the audit log") is not None,
              "the audit log lists the hide")
        shot(mod, "audit")
        # A warning for Bob: his standing page shows it, and he appeals it there.
        bob_id = call("POST", "/api/v1/auth/login", {"email": f"bob{stamp}@example.org", "password": "correct horse battery staple"})["user"]["id"]
        call("POST", "/api/v1/moderation/actions",
             {"action": "warn", "target": {"type": "user", "id": bob_id}, "community": "ohio", "reason": "Please keep to the topic"}, token=admin_token)
        bob.get(BASE + "/#/me/sanctions")
        wait(bob, lambda d: heading(d) == "Your standing", what="Bob's standing")
        appeal_box = wait(bob, lambda d: d.find_elements(By.NAME, "text"), what="the appeal form")
        if appeal_box:
            appeal_box[0].send_keys("I was answering a question about advisory.")
            button(bob, "Appeal").click()
        check(wait(bob, lambda d: d.find_elements(By.CSS_SELECTOR, "article.sanction a[href^='#/appeals/']"), what="the link to the appeal") is not None,
              "a member appeals a warning from their standing page")
        shot(bob, "standing")

        # The forum: Ann asks, Bob answers, Ann accepts.
        ann.get(BASE + "/#/c/ohio/forum")
        wait(ann, lambda d: heading(d).startswith("Forum"), what="the forum")
        Select(ann.find_element(By.NAME, "filter")).select_by_value("unanswered")
        shot(ann, "forum")
        ann.find_element(By.LINK_TEXT, "Ask a question").click()
        wait(ann, lambda d: d.find_elements(By.NAME, "title"), what="the ask form")
        title = f"How do you run advisory? {stamp}"
        by_label(ann, "Title").send_keys(title)
        by_label(ann, "Body").send_keys("We meet **twice** a week. What works for you?")
        ann.find_elements(By.CSS_SELECTOR, "fieldset input[type=checkbox]")[0].click()
        button(ann, "Preview").click()
        check(wait(ann, lambda d: d.find_elements(By.XPATH, "//strong[normalize-space()='twice']"), what="the rendered preview") is not None,
              "the preview shows the markdown as it will read")
        shot(ann, "ask")
        button(ann, "Post your question").click()
        wait(ann, lambda d: heading(d) == title, what="the new question's page")
        question_url = ann.current_url
        bob.get(question_url)
        wait(bob, lambda d: heading(d) == title, what="the question on Bob's page")
        by_label(bob, "Your answer").send_keys("Short check-ins every morning.")
        button(bob, "Post your answer").click()
        check(wait(ann, lambda d: d.find_elements(By.CSS_SELECTOR, "article.answer"), what="Bob's answer on Ann's page") is not None,
              "an answer posted in one session appears live on the asker's page")
        button(ann, "Accept this answer").click()
        check(wait(ann, lambda d: d.find_elements(By.CSS_SELECTOR, "article.answer.accepted"), what="the accepted mark") is not None,
              "the asker accepts the answer")
        check(wait(bob, lambda d: d.find_elements(By.CSS_SELECTOR, "article.answer.accepted"), what="the accept on Bob's page") is not None,
              "the accept shows live on the answerer's page")
        shot(ann, "question")

        if OCCURRENCE:
            room(ann, bob)
    finally:
        for driver in (ann, bob, mod):
            for entry in driver.get_log("browser"):
                if entry["level"] == "SEVERE":
                    print(f"{driver.name_for_logs} console:", entry["message"], flush=True)
            driver.quit()
    if failures:
        print(f"{len(failures)} check(s) failed", flush=True)
        sys.exit(1)
    print("all checks passed", flush=True)


def room_status(driver):
    elements = driver.find_elements(By.ID, "room-status")
    return elements[0].text if elements else ""


def room(ann, bob):
    # Ann says going from the calls page; Bob does not answer.
    ann.get(BASE + "/#/c/ohio/calls")
    wait(ann, lambda d: heading(d).startswith("Calls"), what="the calls page")
    occurrence = wait(ann, lambda d: d.find_elements(By.CSS_SELECTOR, f"article.occurrence[data-id='{OCCURRENCE}']"), what="the occurrence")
    if not occurrence:
        return
    occurrence[0].find_element(By.XPATH, ".//button[normalize-space()='Going']").click()
    wait(ann, lambda d: d.find_element(By.CSS_SELECTOR, f"article.occurrence[data-id='{OCCURRENCE}'] button[aria-pressed='true']"),
         what="the RSVP to show")
    check(ann.find_element(By.PARTIAL_LINK_TEXT, "Add to calendar").get_attribute("href").startswith("webcal://"), "a webcal:// link")
    shot(ann, "calls")

    ann.get(BASE + f"/#/room/{OCCURRENCE}")
    wait(ann, lambda d: d.find_elements(By.ID, "room-status"), what="the room")
    button(ann, "Join").click()
    check(wait(ann, lambda d: room_status(d) == "In the lobby", what="Ann in the lobby") is not None, "who said going enters the lobby")

    bob.get(BASE + f"/#/room/{OCCURRENCE}")
    wait(bob, lambda d: d.find_elements(By.ID, "room-status"), what="the room on Bob's page")
    button(bob, "Join").click()
    knock = wait(bob, lambda d: d.find_elements(By.XPATH, "//button[normalize-space()='Knock']"), what="the knock button")
    if knock:
        knock[0].click()
    check(wait(bob, lambda d: room_status(d) == "Waiting to be let in…", what="Bob waiting") is not None, "who did not answer knocks")
    shot(bob, "room-knocking")
    # Ann facilitates: she lets Bob in from her page.
    admit = wait(ann, lambda d: d.find_elements(By.XPATH, "//button[starts-with(normalize-space(), 'Admit ')]"), what="the admit button")
    if admit:
        admit[0].click()
    check(wait(bob, lambda d: room_status(d) == "In the lobby", what="Bob let in") is not None, "a facilitator lets the knocker in")
    button(ann, "Start the call").click()
    for driver in (ann, bob):
        wait(driver, lambda d: room_status(d) == "Live", what="the call to go live")
    connected = "return window.conveneRoom && [...window.conveneRoom.peers.values()].some(p => p.connectionState === 'connected')"
    check(wait(ann, lambda d: d.execute_script(connected), timeout=30, what="Ann's peer connection") is not None,
          "Ann's RTCPeerConnection reaches connected")
    check(wait(bob, lambda d: d.execute_script(connected), timeout=30, what="Bob's peer connection") is not None,
          "Bob's RTCPeerConnection reaches connected")
    shot(ann, "room-live")
    shot(bob, "room-live-bob")


if __name__ == "__main__":
    main()
