#!/usr/bin/env python3
"""A community's Atom feed, read by a real feed parser and held against the JSON API.

    python3 Tests/Feeds/atom_feed.py BASE_URL SLUG TAG

Run by ForumFeedTests (swift test) against a live server it has filled with questions; it needs
`feedparser` (pip). Checks, with the first failure printed and exit status 1:
  - the feed answers 200 with Content-Type application/atom+xml; charset=utf-8;
  - feedparser reads it as Atom 1.0 with no error at all (bozo 0: well-formed, declared encoding
    right);
  - the feed's title, id, self link and updated; each entry's id, title (markup and emoji kept as
    text), link, author, categories, published and updated equal the questions the JSON API lists,
    newest first; each content is the question's body_html;
  - the feed of one tag holds exactly the questions with that tag.
"""

import json
import sys
import urllib.request
from datetime import datetime

import feedparser


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def fetch(url):
    with urllib.request.urlopen(url) as response:
        return response.status, response.headers.get("Content-Type"), response.read()


def when(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parsed_time(struct):
    return datetime(*struct[:6]).replace(tzinfo=when("2000-01-01T00:00:00Z").tzinfo)


def check_feed(base, slug, tag=None):
    query = f"?tag={tag}" if tag else ""
    url = f"{base}/api/v1/communities/{slug}/questions.atom{query}"
    status, content_type, body = fetch(url)
    if status != 200:
        fail(f"{url} answered {status}")
    if content_type != "application/atom+xml; charset=utf-8":
        fail(f"Content-Type is {content_type!r}")
    feed = feedparser.parse(body)
    if feed.bozo:
        fail(f"feedparser found the feed malformed: {feed.bozo_exception!r}")
    if feed.version != "atom10":
        fail(f"feedparser read version {feed.version!r}, not atom10")

    listing_query = "&tag=" + tag if tag else ""
    _, _, listing = fetch(f"{base}/api/v1/communities/{slug}/questions?sort=newest&limit=50{listing_query}")
    questions = json.loads(listing)["questions"]
    _, _, community = fetch(f"{base}/api/v1/communities/{slug}")
    name = json.loads(community)["community"]["name"]

    if not feed.feed.title.startswith(name):
        fail(f"feed title {feed.feed.title!r} does not name the community {name!r}")
    if feed.feed.id != url:
        fail(f"feed id {feed.feed.id!r} is not {url!r}")
    links = {link.rel: link.href for link in feed.feed.links}
    if links.get("self") != url:
        fail(f"self link {links.get('self')!r} is not {url!r}")
    if len(feed.entries) != len(questions):
        fail(f"{len(feed.entries)} entries for {len(questions)} questions")
    if questions and parsed_time(feed.feed.updated_parsed) != max(when(q["last_activity_at"]) for q in questions).replace(microsecond=0):
        fail(f"feed updated {feed.feed.updated!r} is not the latest activity")

    for entry, question in zip(feed.entries, questions):
        page = f"{base}/api/v1/questions/{question['id']}"
        expected = {
            "id": page,
            "title": question["title"],
            "link": page,
            "author": question["author"]["display_name"],
            "tags": question["tags"],
            "published": when(question["created_at"]).replace(microsecond=0),
            "updated": when(question["last_activity_at"]).replace(microsecond=0),
        }
        actual = {
            "id": entry.id,
            "title": entry.title,
            "link": entry.link,
            "author": entry.author,
            "tags": [t.term for t in entry.tags],
            "published": parsed_time(entry.published_parsed),
            "updated": parsed_time(entry.updated_parsed),
        }
        if actual != expected:
            fail(f"entry for question {question['id']}:\n  feed {actual}\n  json {expected}")
        if entry.content[0].type != "text/html":
            fail(f"entry {entry.id} content type {entry.content[0].type!r}")
        # feedparser sanitizes HTML; the body's text must survive it.
        text = question["body"].split("**")[0].strip()
        if text and text not in entry.content[0].value:
            fail(f"entry {entry.id} content {entry.content[0].value!r} lacks {text!r}")
    return [q["id"] for q in questions]


def main():
    base, slug, tag = sys.argv[1:4]
    everything = check_feed(base, slug)
    if not everything:
        fail("the feed is empty: the test meant to fill it")
    tagged = check_feed(base, slug, tag)
    _, _, listing = fetch(f"{base}/api/v1/communities/{slug}/questions?limit=100")
    with_tag = sorted(q["id"] for q in json.loads(listing)["questions"] if tag in q["tags"])
    if sorted(tagged) != with_tag or len(tagged) == len(everything):
        fail(f"the feed of tag {tag} holds {sorted(tagged)}, the questions with it are {with_tag}")
    print(f"ok: {len(everything)} entries, {len(tagged)} tagged {tag}")


if __name__ == "__main__":
    main()
