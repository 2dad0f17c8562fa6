"""A planted-secrets build output (JS, source maps, inline map, .env) and a hardened one."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path

from tests.secrets.fakekeys import make_assigned, make_keys, private_key_block, rnd, supabase_jwt


def _source_map(sources: dict[str, str]) -> str:
    return json.dumps(
        {"version": 3, "sources": list(sources), "sourcesContent": list(sources.values()), "mappings": "AAAA"}
    )


def write_planted_bundle(root: Path) -> dict[str, str]:
    """Write a build output holding every key type; return rule id -> the raw secret planted."""
    keys = make_keys()
    assigned = make_assigned()
    planted = dict(keys) | {rule: secret for rule, (_, secret) in assigned.items()}
    planted["private-key"] = private_key_block()
    ids = sorted(keys)
    in_js, in_map, in_inline = ids[0::3], ids[1::3], ids[2::3]

    assets = root / "assets"
    assets.mkdir(parents=True)
    (root / "index.html").write_text(
        '<!doctype html><html><head><script type="module" src="/assets/main.js"></script>'
        '<script src="/assets/vendor.js"></script></head><body><div id="root"></div></body></html>\n'
    )
    js = "".join(f'var k{i}="{keys[rule]}";' for i, rule in enumerate(in_js))
    (assets / "main.js").write_text(
        f"(function(){{{js}console.log(1)}})();\n//# sourceMappingURL=main.js.map\n"
    )
    config_ts = "// settings\n" + "".join(
        f"export const v{i} = '{keys[rule]}';\n" for i, rule in enumerate(in_map)
    )
    config_ts += "".join(template.format(v=secret) + "\n" for template, secret in assigned.values())
    (assets / "main.js.map").write_text(
        _source_map({"src/main.ts": "import './config';\n", "src/config.ts": config_ts})
    )
    inline_src = "".join(f"export const w{i} = `{keys[rule]}`;\n" for i, rule in enumerate(in_inline))
    inline_src += f"export const pem = `{planted['private-key']}`;\n"
    encoded = base64.b64encode(_source_map({"src/vendor.ts": inline_src}).encode()).decode()
    (assets / "vendor.js").write_text(
        f"console.log('vendor');\n//# sourceMappingURL=data:application/json;base64,{encoded}\n"
    )
    (assets / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0" + secrets.token_bytes(256))
    return planted


def write_hardened_bundle(root: Path) -> None:
    """A realistic clean build: public keys, hashes, ids, placeholders and env lookups only."""
    assets = root / "assets"
    assets.mkdir(parents=True)
    anon = supabase_jwt("anon")
    png = base64.b64encode(secrets.token_bytes(600)).decode()
    (root / "index.html").write_text(
        '<!doctype html><html><head><script type="module" src="/assets/app-4f9c2b1a.js" '
        'integrity="sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC"></script>'
        '<link rel="stylesheet" href="/assets/app-9b1c.css"></head><body></body></html>\n'
    )
    app_src = (
        f'const supabaseUrl = "https://{rnd(20).lower()}.supabase.co";\n'
        f'const supabaseAnonKey = "{anon}";\n'
        f'const config = {{ apiKey: "{anon}", stripeKey: "pk_live_{rnd(99)}", '
        f'testKey: "pk_test_{rnd(99)}", sbKey: "sb_publishable_{rnd(32)}" }};\n'
        "const api_key = process.env.OPENAI_API_KEY;\n"
        'const password = "";\n'
        "const token = null;\n"
        'const headers = { Authorization: "Bearer " + session.access_token };\n'
        'const placeholder = { secret: "<your-key>", apiKey: "changeme" };\n'
        'const mailer = "smtp://user:${SMTP_PASS}@host";\n'
        f'const requestId = "{rnd(8, "0123456789abcdef")}-4d5a-4b6c-8e9f-{rnd(12, "0123456789abcdef")}";\n'
        f'const chunk = "{rnd(64, "0123456789abcdef")}";\n'
        'const TOKEN_ENV = "CLOUDFLARE_API_TOKEN";\n'
        'const csrfHeader = "X-CSRF-Token";\n'
        f'const logo = "data:image/png;base64,{png}";\n'
    )
    minified = "function a(b){return b+1}" * 500 + app_src.replace("\n", "")
    (assets / "app-4f9c2b1a.js").write_text(minified + "\n//# sourceMappingURL=app-4f9c2b1a.js.map\n")
    (assets / "app-4f9c2b1a.js.map").write_text(_source_map({"src/app.ts": app_src}))
    (assets / "app-9b1c.css").write_text(
        f'.logo{{background:url("data:image/png;base64,{png}")}}body{{margin:0}}\n'
    )
