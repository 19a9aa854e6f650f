#!/usr/bin/env python3
"""Render the village map, and optionally the agents of a live world, to a PNG.

  python3 assets/tools/render_village.py OUT.png [SNAPSHOT.json]

SNAPSHOT.json is the body of `GET /world` (e.g. `curl -s 127.0.0.1:8080/world > world.json`).
The map comes from assets/maps/village.tmx and the tileset PNG, drawn at 2x; each agent is a
dot coloured by status (online green, idle amber, paused blue, quarantined red) with a dark
ring; landmark areas get a thin outline. Standard library only; used for the README picture.
"""

import json
import os
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
from make_village_map import decode_png, encode_png  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SCALE = 2
STATUS_COLOUR = {
    "online": (64, 200, 90, 255),
    "idle": (235, 180, 40, 255),
    "paused": (70, 130, 230, 255),
    "quarantined": (220, 60, 60, 255),
}


def main():
    out = sys.argv[1]
    snapshot = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else None
    tmx = ET.parse(os.path.join(ROOT, "assets/maps/village.tmx")).getroot()
    width, height = int(tmx.get("width")), int(tmx.get("height"))
    tw, th = int(tmx.get("tilewidth")), int(tmx.get("tileheight"))
    tiles_w, tiles_h, tiles = decode_png(open(os.path.join(ROOT, "assets/tilesets/village.png"), "rb").read())
    columns = tiles_w // tw
    img = [[(0, 0, 0, 255)] * (width * tw) for _ in range(height * th)]
    for layer in tmx.findall("layer"):
        gids = [int(v) for v in layer.find("data").text.replace("\n", "").split(",")]
        for i, gid in enumerate(gids):
            if gid == 0:
                continue
            tx, ty = (gid - 1) % columns, (gid - 1) // columns
            mx, my = i % width, i // width
            for py in range(th):
                for px in range(tw):
                    r, g, b, a = tiles[ty * th + py][tx * tw + px]
                    if a == 0:
                        continue
                    dst = img[my * th + py]
                    br, bg, bb, _ = dst[mx * tw + px]
                    k = a / 255
                    dst[mx * tw + px] = (round(r * k + br * (1 - k)), round(g * k + bg * (1 - k)), round(b * k + bb * (1 - k)), 255)
    for obj in tmx.iter("object"):
        x0, y0 = int(float(obj.get("x"))), int(float(obj.get("y")))
        x1, y1 = x0 + int(float(obj.get("width"))) - 1, y0 + int(float(obj.get("height"))) - 1
        for x in range(x0, x1 + 1):
            img[y0][x] = img[y1][x] = (255, 255, 255, 255)
        for y in range(y0, y1 + 1):
            img[y][x0] = img[y][x1] = (255, 255, 255, 255)
    if snapshot:
        for agent in snapshot["agents"]:
            cx = agent["pos"]["x"] * tw + tw // 2
            cy = agent["pos"]["y"] * th + th // 2
            colour = STATUS_COLOUR.get(agent["status"], (255, 255, 255, 255))
            for dy in range(-6, 7):
                for dx in range(-6, 7):
                    d2 = dx * dx + dy * dy
                    if d2 <= 36:
                        img[cy + dy][cx + dx] = colour if d2 <= 20 else (20, 20, 30, 255)
    scaled = []
    for row in img:
        wide = [p for p in row for _ in range(SCALE)]
        scaled.extend([wide] * SCALE)
    with open(out, "wb") as f:
        f.write(encode_png(width * tw * SCALE, height * th * SCALE, scaled))


if __name__ == "__main__":
    main()
