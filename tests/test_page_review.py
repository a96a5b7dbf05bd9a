"""Review a page at once (issue 15): every waiting message of a family page, approved together,
each approval bound to the text the reviewer was shown, four eyes per message."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.models import Approval, PublishedCatalog
from portal.translation.identity import message_id
from tests.conftest import csrf_token, signed_in

URL = "/review/es/page/treatment"
# Headings of content/treatment.md only (in page order: HOW_WELL, CHEMO, NEWER, RISKS); plain text.
CHEMO = "Chemotherapy and other medicines your child may get"
HOW_WELL = "How well it works"
NEWER = "Newer kinds of treatment"
RISKS = "Risks of strong treatment"


def mid(msgid: str) -> str:
    return message_id(("", msgid, ""))


def shown(client) -> dict[str, str]:
    """The page review's checkboxes: message id -> the fingerprint of the text it shows."""
    html = client.get(URL).get_data(as_text=True)
    return dict(re.findall(r'name="seen-([0-9a-f]{16})" value="([0-9a-f]{64})"', html))


def approve_selected(client, seen: dict[str, str], chosen: list[str], token: str | None = None):
    data = {"csrf_token": token if token is not None else csrf_token(client, URL), "approve": chosen}
    data.update({f"seen-{m}": print_ for m, print_ in seen.items()})
    return client.post(URL, data=data)


def approvals(work) -> list[Approval]:
    with work.session() as session:
        return list(session.scalars(select(Approval).where(Approval.locale == "es").order_by(Approval.id)))


def version(work) -> int:
    with work.session() as session:
        return session.scalar(select(func.coalesce(func.max(PublishedCatalog.version), 0))
                              .where(PublishedCatalog.locale == "es"))


def fingerprint(work, msgid: str) -> str:
    return work.unit("es", msgid).fingerprint


def translate_four(work):
    work.translate("es", CHEMO, "Medicamentos de quimioterapia que su hijo puede recibir", author="tina")
    work.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    work.translate("es", NEWER, "Tipos nuevos de tratamiento", author="tom")
    work.translate("es", RISKS, "Riesgos del tratamiento fuerte", author="rob")  # rob is a reviewer


def test_every_waiting_message_of_the_page_in_page_order(app, people, rita):
    translate_four(people)
    html = rita.get(URL).get_data(as_text=True)
    positions = [html.index(f">{msgid}</p>") for msgid in (HOW_WELL, CHEMO, NEWER, RISKS)]
    assert positions == sorted(positions)
    assert "Qué tan bien funciona" in html and "Approve selected" in html
    assert html.count('type="checkbox"') == 4
    assert 'lang="es"' in html and "INFLESZ" in html  # readability of the page and of each text


def test_approve_selected_binds_each_approval_to_the_text_shown_and_publishes_once(app, people, rita):
    translate_four(people)
    seen = shown(rita)
    before = version(people)
    response = approve_selected(rita, seen, [mid(CHEMO), mid(HOW_WELL)])
    assert response.status_code == 302 and response.headers["Location"] == URL
    recorded = approvals(people)
    assert {(a.mid, a.fingerprint) for a in recorded} == {(mid(CHEMO), seen[mid(CHEMO)]),
                                                          (mid(HOW_WELL), seen[mid(HOW_WELL)])}
    assert seen[mid(CHEMO)] == fingerprint(people, CHEMO)
    assert version(people) == before + 1  # one publish for both
    assert people.served("es").find(HOW_WELL).msgstr == "Qué tan bien funciona"
    page = rita.get(URL).get_data(as_text=True)
    assert "Approved 2 texts and published" in page
    assert f'name="seen-{mid(CHEMO)}"' not in page  # no longer waiting
    assert f'name="seen-{mid(NEWER)}"' in page


def test_a_text_edited_after_the_page_was_shown_is_refused_and_the_others_approved(app, people, rita):
    translate_four(people)
    seen = shown(rita)
    people.translate("es", NEWER, "Clases nuevas de tratamiento", author="tom")  # meanwhile
    response = approve_selected(rita, seen, [mid(CHEMO), mid(NEWER)])
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    alert = re.search(r'<div class="error-summary" role="alert">(.*?)</div>', html, re.S).group(1)
    assert "1 text approved" in alert and "changed after you opened it" in alert and NEWER in alert
    assert "Clases nuevas de tratamiento" in html  # the new text, shown to read
    assert f'name="seen-{mid(NEWER)}" value="{fingerprint(people, NEWER)}"' in html
    assert [(a.mid, a.fingerprint) for a in approvals(people)] == [(mid(CHEMO), seen[mid(CHEMO)])]
    assert "<title>Error:" in html


def test_four_eyes_per_message(app, people, rob):
    translate_four(people)  # rob wrote RISKS
    html = rob.get(URL).get_data(as_text=True)
    assert f'name="approve" value="{mid(RISKS)}"' not in html
    assert "you wrote this text; another reviewer must approve it (four eyes)" in html
    seen = shown(rob)
    seen[mid(RISKS)] = fingerprint(people, RISKS)  # forged: as if the checkbox were there
    response = approve_selected(rob, seen, [mid(RISKS), mid(HOW_WELL)])
    assert response.status_code == 409
    assert "you wrote this text" in response.get_data(as_text=True)
    assert [a.mid for a in approvals(people)] == [mid(HOW_WELL)]


def test_a_text_with_a_blocking_problem_has_no_checkbox_and_is_refused(app, people, rita):
    people.translate("es", HOW_WELL, "Qué tan bien <b>funciona</b>")  # from a file: raw HTML
    people.translate("es", CHEMO, "Medicamentos de quimioterapia", author="tina")
    html = rita.get(URL).get_data(as_text=True)
    assert f'name="approve" value="{mid(HOW_WELL)}"' not in html
    assert "fails a blocking check" in html and "&lt;b&gt;funciona&lt;/b&gt;" in html
    seen = shown(rita) | {mid(HOW_WELL): fingerprint(people, HOW_WELL)}
    response = approve_selected(rita, seen, [mid(HOW_WELL), mid(CHEMO)])
    assert response.status_code == 409
    assert [a.mid for a in approvals(people)] == [mid(CHEMO)]


def test_a_message_of_another_page_is_refused(app, people, rita):
    other = "Tests when leukemia comes back"  # content/tests.md
    people.translate("es", other, "Pruebas cuando la leucemia vuelve", author="tina")
    people.translate("es", CHEMO, "Medicamentos de quimioterapia", author="tina")
    seen = shown(rita) | {mid(other): fingerprint(people, other)}
    response = approve_selected(rita, seen, [mid(other)])
    assert response.status_code == 409 and "not a message of this page" in response.get_data(as_text=True)
    assert approvals(people) == []


def test_csrf_and_an_empty_selection(app, people, rita):
    translate_four(people)
    seen = shown(rita)
    assert approve_selected(rita, seen, [mid(CHEMO)], token="forged").status_code == 400
    assert approve_selected(rita, seen, [], token=None).status_code == 400
    assert approvals(people) == []


def test_roles(app, people, tina):
    translate_four(people)
    assert tina.get(URL).status_code == 403  # a translator
    vic = signed_in(app, "vic")  # a Vietnamese reviewer
    assert vic.get(URL).status_code == 403
    assert vic.post(URL, data={"csrf_token": csrf_token(vic, "/account"), "approve": [mid(CHEMO)]}).status_code == 403
    assert app.test_client().get(URL).headers["Location"].startswith("/login?next=")
    assert signed_in(app, "rita").get("/review/es/page/no-such-page").status_code == 404
    assert approvals(people) == []


def test_linked_from_the_queue_and_the_dashboard(app, people, rita):
    translate_four(people)
    queue = rita.get("/review/es/").get_data(as_text=True)
    assert f'href="{URL}"' in queue and "4 messages waiting" in queue
    assert f'href="{URL}"' in rita.get("/review/").get_data(as_text=True)
    assert f'href="{URL}"' in rita.get(f"/review/es/m/{mid(CHEMO)}").get_data(as_text=True)
