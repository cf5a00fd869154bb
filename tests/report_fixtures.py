"""Scenarios the report tests share (test_report.py in process, test_report_render.py end to
end): a hostile one whose every client-supplied text is markup, and an infeasible one."""

from pathlib import Path

# every text a client supplies (name, description, client, labels, a value's source, a
# quote's source) tries to break out of the HTML
NASTY = """\
name: Nasty <script>alert("name")</script> & co
description: Text with <img src=x onerror=alert(1)> and a </script> end
client: Scenario client <i>x</i>
quotes: quotes.csv
workload:
  images_per_month: {value: 300000, low: 200000, high: 500000, source: "their <b>guess</b>"}
  outputs_per_approved: 3
  variability: spiky
constraints: {privacy: internal, max_latency_s: 20}
options:
  - {name: replicate_sdxl, label: "Replicate <script>alert(3)</script>", kind: api,
     offer: replicate_sdxl}
  - {name: own, label: "<b>Owned</b> <a href=\\"javascript:alert(4)\\">x</a>", kind: owned,
     gpu: rtx4090, throughput: sdxl_rtx4090}
  - {name: mix, label: "Mix & match", kind: hybrid, local: own, api: replicate_sdxl,
     local_gpus: 2}
"""
QUOTES = ('table,name,value,unit,source,as_of\n'
          'api_prices,replicate_sdxl,0.0025,USD/image,'
          '"Quote <script>alert(5)</script> ""signed""",2026-10\n')
CLIENT = "Acme </title><script>alert(2)</script>"

# no option meets the constraints: regulated images, no API with a DPA
INFEASIBLE = """\
name: Patient imaging
workload: {images_per_month: 20000}
constraints: {privacy: regulated, dpa_available: false}
options:
  - {name: replicate_sdxl, kind: api, offer: replicate_sdxl}
  - {name: fal_flux_schnell, kind: api, offer: fal_flux_schnell}
"""


def write_nasty(folder: Path) -> Path:
    """The hostile scenario and its quotes file in ``folder``; the scenario's path."""
    (folder / "quotes.csv").write_text(QUOTES)
    path = folder / "nasty.yaml"
    path.write_text(NASTY)
    return path
