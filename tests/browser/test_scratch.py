import io, os, time
from pathlib import Path
import pytest
from PIL import Image
from django.urls import reverse
from sesame.utils import get_query_string

AXE = (Path(__file__).parents[2] / "static/vendor/axe-4.14.1.min.js").read_text()

@pytest.mark.browser
def test_scratch(page, live_server, entrant, contest, tmp_path):
    url = live_server.url + reverse("contest:signin_link") + get_query_string(entrant.user) + "&suite=" + reverse("contest:upload", args=[contest.slug])
    page.goto(url)
    print(page.url)
    print(page.evaluate("() => [getComputedStyle(document.querySelector('.site-header')).backgroundColor, typeof htmx]"))
    t = time.monotonic()
    page.evaluate("() => {" + AXE + "\n}")
    print("axe loaded", page.evaluate("() => typeof axe"), time.monotonic() - t)
    t = time.monotonic()
    v = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    print("axe ran", time.monotonic() - t, [(x['id'], [n['target'] for n in x['nodes']], x['help']) for x in v])
    w, h = 1600, 1200
    im = Image.frombytes("RGB", (w, h), os.urandom(w * h * 3))
    f = tmp_path / "noise.jpg"
    im.save(f, "JPEG", quality=90)
    print("size", f.stat().st_size)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 1_000_000})
    values = []
    page.expose_function("recordProgress", lambda v: values.append((time.monotonic(), v)))
    page.evaluate("""() => {
      const rec = (e) => { const f = document.getElementById('upload-form'); if (!f) return;
        const w = f.querySelector('.progress-wrap'), b = f.querySelector('progress');
        window.recordProgress([e.type, w.hidden, b.value, e.detail && e.detail.loaded, e.detail && e.detail.total]); };
      document.addEventListener('htmx:beforeRequest', rec);
      document.addEventListener('htmx:xhr:progress', rec);
    }""")
    page.set_input_files("#id_photos-0-photo", str(f))
    page.fill("#id_photos-0-title", "Bruit")
    page.fill("#id_photos-0-caption", "Du bruit")
    page.select_option("#id_photos-0-theme", index=1)
    page.wait_for_timeout(300)
    print(page.evaluate("() => { const i = document.querySelector('.preview img'); return [i.naturalWidth, i.closest('figure').hidden] }"))
    t0 = time.monotonic()
    page.click("button[type=submit].button")
    page.wait_for_url("**/mes-photos/")
    print("upload took", time.monotonic() - t0)
    for t, v in values: print(round(t - t0, 2), v)
    print(page.inner_html("#entries"))
