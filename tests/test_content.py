"""The English source pages: structure, plain language, facts, sources, no copying."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import textstat

from portal.families.content import ContentError, load_pages, load_sources, parse_page, plain_text, slugify
from tests.seed_ngrams import HASHES, SEEDS, ngram_hashes, seed_hashes_from_seeds

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
PAGES = load_pages(CONTENT)
SLUGS = ["what-is-relapse", "tests", "treatment", "where-it-comes-back", "outlook", "infections",
         "side-effects-and-support", "questions", "glossary"]


def page_text(page) -> str:
    """The page as a reader meets it, each block ending in a full stop (as the grade is measured)."""
    blocks = [plain_text(m.text) for m in page.messages()]
    return " ".join(b if b[-1] in ".!?:" else b + "." for b in blocks)


def all_text() -> str:
    return "\n".join(page_text(p) for p in PAGES.values())


def test_every_required_page_exists_in_order():
    assert list(PAGES) == SLUGS


@pytest.mark.parametrize("slug", SLUGS)
def test_reading_grade_is_at_most_6(slug):
    textstat.set_lang("en")
    grade = textstat.flesch_kincaid_grade(page_text(PAGES[slug]))
    assert grade <= 6.0, f"{slug} reads at grade {grade}"


@pytest.mark.parametrize("slug", SLUGS)
def test_sentences_are_short(slug):
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", page_text(PAGES[slug])) if s]
    average = sum(len(s.split()) for s in sentences) / len(sentences)
    assert average <= 12, f"{slug}: {average:.1f} words per sentence"
    assert max(len(s.split()) for s in sentences) <= 25


def test_seed_hash_file_matches_the_seeds_when_they_are_here():
    if not SEEDS.exists():
        pytest.skip("../shared/seeds is not beside this checkout; the committed hashes are used")
    assert HASHES.read_text().split() == sorted(seed_hashes_from_seeds())


@pytest.mark.parametrize("slug", SLUGS)
def test_no_run_of_10_words_is_copied_from_the_seeds(slug):
    seeds = set(HASHES.read_text().split())
    assert len(seeds) > 1000
    shared = ngram_hashes(page_text(PAGES[slug])) & seeds
    assert not shared, f"{slug} shares {len(shared)} 10-word runs with the seeds"


def test_the_copy_check_would_catch_a_copied_sentence():
    seeds = set(HASHES.read_text().split())
    copied = ("approximately 85% of patients with a marrow relapse achieve a CR2 at the end of "
              "the first month of treatment")
    assert ngram_hashes(copied) & seeds


# Facts and numbers from the seeds that matter to a family, as the pages must say them.
FACTS = [
    r"15 to 20 out of 100", r"about 600 children", r"about 85 out of 100", r"about 70 out of 100",
    r"about 95 out of 100", r"6 months", r"44 to 56 out of 100", r"69 out of 100", r"45 out of 100",
    r"about 50 out of 100", r"30 to 50 out of 100", r"half", r"less than 50 out of 100|fewer than 50 out of 100",
    r"B-cell", r"T-cell", r"minimal residual disease", r"CAR T", r"tisagenlecleucel", r"blinatumomab",
    r"inotuzumab ozogamicin", r"natural killer", r"interleukin-2", r"nelarabine", r"clofarabine",
    r"dexamethasone", r"vincristine", r"cyclophosphamide", r"etoposide", r"pegaspargase",
    r"methotrexate", r"mercaptopurine", r"cytarabine", r"mitoxantrone", r"teniposide", r"vinblastine",
    r"tyrosine kinase", r"proteasome", r"mTOR", r"HDAC", r"lumbar puncture", r"chest X-ray",
    r"bone marrow", r"spinal", r"testicles", r"intrathecal", r"radiation", r"mask", r"wash",
    r"antibiotic", r"antifungal", r"catheter|central line", r"palliative care", r"psychologist",
    r"social worker", r"music therap", r"chaplain", r"child life", r"nausea", r"constipation",
    r"itching", r"anxiety", r"depression", r"shortness of breath", r"brother or sister", r"HLA",
    r"not related", r"outpatient|stay in the hospital|in the hospital",
]


@pytest.mark.parametrize("fact", FACTS)
def test_the_pages_keep_each_family_fact(fact):
    assert re.search(fact, all_text(), re.IGNORECASE), f"no page says {fact!r}"


def test_every_glossary_link_resolves_and_every_term_is_used():
    glossary = PAGES["glossary"]
    slugs = {entry.slug for entry in glossary.glossary}
    linked = set()
    for page in PAGES.values():
        for message in page.messages():
            for target in re.findall(r"\]\((glossary:[^)]+)\)", message.text):
                assert target[9:] in slugs, f"{page.path}:{message.lineno} links unknown term {target}"
                if page.kind != "glossary":
                    linked.add(target[9:])
            for target in re.findall(r"\]\((page:[^)]+)\)", message.text):
                assert target[5:] in PAGES, f"{page.path}:{message.lineno} links unknown page {target}"
    assert slugs - linked == set(), "glossary terms no page links to"
    assert len(slugs) >= 40


def test_glossary_is_alphabetical():
    terms = [plain_text(e.term.text).lower() for e in PAGES["glossary"].glossary]
    assert terms == sorted(terms)


@pytest.mark.parametrize("slug", SLUGS)
def test_front_matter_dates_and_sources(slug):
    page = PAGES[slug]
    assert page.next_review > page.reviewed
    assert page.sources and {s.key for s in page.sources} <= {"pdq", "stjude"}


def test_pages_credit_both_sources():
    used = {s.key for page in PAGES.values() for s in page.sources}
    assert used == {"pdq", "stjude"}
    sources = load_sources(CONTENT)
    assert "National Cancer Institute" in sources["pdq"].publisher
    assert "St. Jude" in sources["stjude"].publisher


GOOD = """---
title: T
summary: S
order: 1
reviewed: 2026-01-01
next_review: 2027-01-01
sources: [pdq]
---

"""


@pytest.mark.parametrize("body, complaint, line", [
    ("<b>raw</b> html\n", "raw HTML", 10),
    ("# Second title\n", "'##' or '###'", 10),
    ("- a\n  - nested\n", "lists inside lists", 11),
    ("![x](https://e.org/x.png)\n", "image", 10),
    ("[x](javascript:alert(1))\n", "must start with", 10),
    ("[x](/en/other)\n", "must start with", 10),
    ("> quote\n", "blockquote", 10),
    ("```\ncode\n```\n", "fence", 10),
])
def test_content_rule_breaks_are_refused_with_the_line(body, complaint, line):
    sources = load_sources(CONTENT)
    with pytest.raises(ContentError) as caught:
        parse_page(GOOD + "Fine first paragraph.\n\n" + body, "content/bad.md", sources)
    assert complaint in str(caught.value)
    assert f"content/bad.md:{line + 2}:" in str(caught.value)


def test_missing_front_matter_key_is_named():
    text = GOOD.replace("summary: S\n", "")
    with pytest.raises(ContentError, match="missing \\['summary'\\]"):
        parse_page(text, "content/bad.md", load_sources(CONTENT))


def test_slugify():
    assert slugify("Central nervous system (CNS)") == "central-nervous-system-cns"
    assert slugify("CAR T-cell therapy") == "car-t-cell-therapy"


# --- Notes for the medical reviewer ----------------------------------------------------------------

NOTE_BODY = ("Fine first paragraph.\n\n"
             "<!-- reviewer: Please check this\n   against the source. -->\n"
             "A claim to confirm.\n\n"
             "- one\n- two\n")


def test_a_reviewer_note_goes_to_the_next_block_and_keeps_line_numbers():
    page = parse_page(GOOD + NOTE_BODY, "content/note.md", load_sources(CONTENT))
    first, claim, items = page.blocks
    assert first.messages[0].note == "" and all(m.note == "" for m in items.messages)
    assert claim.messages[0].text == "A claim to confirm."  # the note is no part of the page
    assert claim.messages[0].note == "Please check this against the source."
    assert claim.messages[0].lineno == 14 and items.messages[0].lineno == 16


@pytest.mark.parametrize("body, complaint", [
    ("Text.\n\n<!-- a plain comment -->\n\nMore.\n", "raw HTML"),  # only reviewer notes are allowed
    ("Text.\n\n<!-- reviewer: -->\nMore.\n", "the reviewer note is empty"),
    ("Text.\n\n<!-- reviewer: about nothing -->\n", "must come just before the block"),
])
def test_a_comment_that_is_not_a_usable_reviewer_note_is_refused(body, complaint):
    with pytest.raises(ContentError, match=complaint):
        parse_page(GOOD + body, "content/bad.md", load_sources(CONTENT))


def test_the_t_cell_paragraph_carries_a_note_for_the_medical_reviewer():
    """The sources list chemotherapy after reinduction for B-cell ALL only; what the page says
    this means for T-cell ALL must reach the medical reviewer as a question."""
    noted = [m for page in PAGES.values() for m in page.messages() if m.note]
    assert [m.text.split(".")[0] for m in noted] == [
        "The sources of this guide list chemo after reinduction as a standard choice only for B-cell ALL"]
    assert "T-cell" in noted[0].text and "confirm" in noted[0].note


def test_the_note_reaches_the_template_as_extracted_comments_that_read_back_whole():
    from portal.translation import pofile
    from portal.translation.catalogs import load_po
    from portal.translation.extract import COMMENT_WIDTH, reviewer_note, reviewer_note_lines

    note = next(m.note for m in PAGES["treatment"].messages() if m.note)
    lines = reviewer_note_lines(note)
    assert len(lines) > 1 and all(len(line) <= COMMENT_WIDTH for line in lines)
    assert reviewer_note("medical: x\nParagraph.\n" + "\n".join(lines)) == note
    template = load_po(ROOT / "translations" / "messages.pot")
    entry = next(e for e in template if e.msgid.startswith("The sources of this guide list chemo"))
    assert reviewer_note(entry.comment) == note
    assert pofile.dumps(template).count("#. reviewer: ") == len(lines)  # written as it was read


@pytest.mark.parametrize("name", ["about", "how-we-checked", "search"])
def test_a_content_page_may_not_take_an_address_of_the_sites_own_pages(tmp_path, name):
    """/<tag>/about, /how-we-checked and /search are the site's own pages: a content file with one of
    these names could never be read, so loading the content refuses it and names the file."""
    import shutil

    from portal.families.content import load_pages

    shutil.copytree(CONTENT, tmp_path / "content")
    shutil.copy(tmp_path / "content" / "tests.md", tmp_path / "content" / f"{name}.md")
    with pytest.raises(ContentError, match=f"content/{name}.md: the site's own pages use the addresses"):
        load_pages(tmp_path / "content")


def test_content_parsed_once_per_process_is_parsed_again_when_a_file_changes(tmp_path):
    """load_pages keeps what it parsed by the files' bytes: a second app of the same process gets
    the same pages without parsing, and an edited page, a new page or changed sources are read again."""
    import shutil

    from portal.translation.checks import Terms

    shutil.copytree(CONTENT, tmp_path / "content")
    first = load_pages(tmp_path / "content")
    assert load_pages(tmp_path / "content")["tests"] is first["tests"]
    page = tmp_path / "content" / "tests.md"
    page.write_text(page.read_text(encoding="utf-8").replace(first["tests"].title.text, "A new title", 1),
                    encoding="utf-8")
    assert load_pages(tmp_path / "content")["tests"].title.text == "A new title"
    shutil.copy(tmp_path / "content" / "outlook.md", tmp_path / "content" / "outlook-copy.md")
    assert len(load_pages(tmp_path / "content")) == len(first) + 1
    (tmp_path / "content" / "outlook-copy.md").unlink()
    sources = tmp_path / "content" / "sources.yml"
    sources.write_text(sources.read_text(encoding="utf-8").replace("dated:", "undated:", 1), encoding="utf-8")
    with pytest.raises(ContentError, match="dated"):
        load_pages(tmp_path / "content")
    terms = tmp_path / "content" / "terms.yml"
    assert "zz-new-medicine" not in Terms.load(tmp_path / "content").medicines
    terms.write_text(terms.read_text(encoding="utf-8").replace("\nmedicines:\n", "\nmedicines:\n  - zz-new-medicine\n", 1),
                     encoding="utf-8")
    assert "zz-new-medicine" in Terms.load(tmp_path / "content").medicines
