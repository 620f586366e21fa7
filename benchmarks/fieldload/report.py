"""The field load test's section of ``docs/benchmarks.md``, from the figures ``benchmarks/field_load.py`` gathered."""

from __future__ import annotations


def _ms(value: str) -> str:
    try:
        return f"{float(value):,.0f}"
    except ValueError:
        return value


def report(f: dict) -> str:
    think = f["think"]
    w, h = f["photo_size"]
    cpu = f["cpu"]
    reg = f["registry"]
    solo = f["solo"]
    rows = []
    for row in f["stats"]:
        label = "**all requests**" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
        rows.append(f"| {label} | {int(row['Request Count']):,} | {int(row['Failure Count']):,} | "
                    f"{float(row['Requests/s']):.2f} | {_ms(row['50%'])} | {_ms(row['95%'])} | {_ms(row['99%'])} | "
                    f"{_ms(row['Max Response Time'])} |")
    failures = sum(int(r["Failure Count"]) for r in f["stats"] if r["Name"] == "Aggregated")
    categories, leaves = f["profile"]
    named = [(name, share) for name, share in categories if not name.startswith(("other", "waiting"))]
    bottleneck = named[0] if named else None
    patrols = next((r for r in f["stats"] if r["Name"].startswith("patrol POST")), None)
    refused = sum(int(r["Failure Count"]) for r in f["stats"] if r["Name"].startswith("sign in"))
    proof = solo.get("proof_s", 0.0)
    moved = max(0.0, solo["post_s"] - solo["accept_s"]) + solo["originals_s"] + proof
    lines = [
        f"{f['facilities']:,} synthetic facilities (`memorials demo --synthetic {f['facilities']}`, loaded with "
        f"`memorials init` in {f['load_s']:.0f} s) on PostgreSQL/PostGIS; `memorials serve --workers {f['workers']}`; "
        f"the photo store on disk (`DiskStore`, fsync on every file). {f['inspectors']} inspectors and "
        f"{f['planners']} planners, each with an account of its own (inspectors: the counties with most "
        "facilities; planners: the provinces with most), run by locust headless for "
        f"{f['seconds']} s, ramp included (5 users a second).",
        "",
        f"- **Inspector**: signs in for a token, fetches the patrol pack, then files a patrol of one of the "
        f"county's facilities with {f['photos_per_patrol']} photos of {w}×{h} px (phone-like JPEGs, "
        f"{solo['photo_bytes'] / 1e6:.1f} MB each, capture time and GPS within 40 m of the facility in EXIF, new bytes "
        "every time), the phone's position and an `Idempotency-Key`, then syncs the pack again; **think time "
        f"{think['inspector'][0]:.0f}–{think['inspector'][1]:.0f} s** between patrols (first one within "
        f"{think['inspector'][1]:.0f} s). A 201 whose photos are not all verified counts as a failure.",
        f"- **Planner**: signs in through the login page (cookie session), then clicks every "
        f"**{think['planner'][0]:.0f}–{think['planner'][1]:.0f} s**: the province's facility list page (3), a "
        "facility's page (3), the map's data for a viewport at zoom 7–13 (4), the API's bbox list (2), the map page (1).",
        "- Sign-in limits: lockout as configured (5 failures), per username 10 a minute as configured; **per address "
        "raised to 1000 a minute** (`MEMORIALS_LOGIN_RATE_PER_ADDRESS`), since all "
        f"{f['inspectors'] + f['planners']} people sign in from 127.0.0.1 within the ramp, as a bureau's NAT would look; "
        f"sign-ins refused: {refused}.",
        "",
        "| request | count | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"- **Errors: {failures}** failed requests" + (" (" + "; ".join(f"{r['Name']}: {r['Error'][:100]} ×{r['Occurrences']}" for r in f["failures"][:6]) + ")"
           if f["failures"] else "")
        + f"; {f['tracebacks']} tracebacks in the server's log; locust exit code {f['locust_rc']}.",
        f"- **Registry afterwards**: {reg['patrols']:,} patrols filed with {reg['photos']:,} photos, "
        f"{reg['verified']:,} of them verified by location; {reg['missing_files']} photo files missing from the store "
        "(original, screen and thumbnail of each).",
        f"- **CPU** during the run, in cores (of {cpu['cores']}): server workers {cpu['server']:.2f}, PostgreSQL "
        f"{cpu['postgres']:.2f}, locust {cpu['locust']:.2f}; the whole machine {cpu['machine']:.2f}, other work "
        f"included (the machine's load average was {f.get('load_average', 0):.1f} as the run began: it is shared).",
    ]
    if categories:
        lines += [
            "- **Where the workers' time goes** (py-spy, samples of every worker's threads after the ramp): "
            + ", ".join(f"{name} {100 * share:.0f}%" for name, share in categories) + ".",
            "  Hottest functions: " + "; ".join(f"`{leaf[:90]}` {100 * share:.0f}%" for leaf, share in leaves[:6]) + ".",
        ]
    if bottleneck:
        computing = 1 - sum(share for name, share in categories if name.startswith("waiting"))
        lines.append(f"- **Bottleneck: {bottleneck[0]}**, {100 * bottleneck[1]:.0f}% of the workers' sampled time "
                     f"({100 * bottleneck[1] / max(computing, 1e-9):.0f}% of the time they compute rather than wait); "
                     "sign-ins queue behind Argon2 in the same way during the ramp.")
    server_cpu = cpu["server"] * f.get("elapsed", f["seconds"])
    lines.append(
        f"- **Reading**: the workers used {server_cpu:.0f} CPU-seconds in all ({cpu['server']:.2f} cores on average, "
        f"{100 * cpu['server'] / cpu['cores']:.0f}% of this machine's cores). Latency is the time a request waits for "
        "the CPU the workers get: the CPU-bound requests (a patrol's photo decoding, a sign-in's Argon2) queue "
        "behind each other while the machine is busy, the light ones (lists, map data, pages) answer in "
        "between; where the whole machine is near its cores, every figure above says more about that than "
        "about the code.")
    upload_s = f["photos_per_patrol"] * solo["photo_bytes"] * 8 / 8e6  # a phone's uplink at 8 Mbit/s
    lines += [
        "",
        f"**A patrol POST alone** (one inspector, idle server, {solo['posts']} patrols after a warm-up): median "
        f"{solo['post_s']:.2f} s for {f['photos_per_patrol']} photos. In-process, checking those photos and making "
        f"their display sizes and storing everything (`evidence.uploads.accept`) takes {solo['accept_s']:.2f} s; "
        f"hashing and storing the originals alone {solo['originals_s']:.2f} s, and the least decode that still finds "
        f"a cut or corrupt photo (1/8 scale) {proof:.2f} s. With the display sizes made by a worker the POST would "
        f"answer in about {moved:.2f} s (the rest of the request, the originals and that decode) instead of "
        f"{solo['post_s']:.2f} s"
        + (f"; under this load the patrol POST's p50 is {_ms(patrols['50%'])} ms and p95 {_ms(patrols['95%'])} ms."
           if patrols else "."),
        "",
        "**Photo processing stays in the request** (issue 15, point 5, decided on these figures): "
        f"(1) the inspector's phone spends about {upload_s:.0f} s sending {f['photos_per_patrol']} photos of "
        f"{solo['photo_bytes'] / 1e6:.1f} MB at 8 Mbit/s before the server starts; the "
        f"{solo['accept_s']:.2f} s of photo work is a small part of the wait a worker could shorten; "
        f"(2) the request must still decode each photo to refuse a cut or corrupt one while the inspector stands at "
        f"the facility and can take it again: even at 1/8 scale that decode costs {proof:.2f} s of the "
        f"{solo['accept_s']:.2f} s ({100 * proof / max(solo['accept_s'], 1e-9):.0f}%), since every entropy-coded "
        "byte is read; (3) a worker does the same decoding later on the same cores, so it adds no capacity "
        "under load, where CPU is what runs out; (4) it would add a durable queue, a pending state that every count "
        "(compliance, readiness, the proxy-visit guard, the ledger, the map's layers) must respect, and recovery "
        "after a crash between the answer and the display sizes.",
    ]
    return "\n".join(lines)
