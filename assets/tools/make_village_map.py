#!/usr/bin/env python3
"""Generate the AI Village Tiled assets (tileset image, tileset, map).

What it writes (paths relative to the repository root):

  assets/tilesets/village.png  RGBA tileset image, 16x16 px tiles, 8 columns,
                               drawn pixel by pixel by this script.
  assets/tilesets/village.tsx  Tiled 1.10 external tileset. Every tile has the
                               properties `name` (string) and `blocked` (bool).
  assets/maps/village.tmx      Tiled 1.10 orthogonal map, 48x32 tiles, with the
                               tile layers `ground` and `structures` (CSV data)
                               and the object group `landmarks`.

How to rerun (from the repository root):

  python3 assets/tools/make_village_map.py

Only the Python 3 standard library is used (zlib, struct, xml.etree). The
output is deterministic: running the script twice produces byte-identical
files (no timestamps, no unseeded randomness; "random" decoration comes from a
CRC32-based hash of fixed inputs).

After writing, the script validates its own output and raises an error if
anything is wrong:
  * the PNG is decoded again (chunk CRCs, zlib stream, filters) and compared
    with the drawn pixels;
  * the TSX and TMX are re-parsed with xml.etree and checked against the
    layer/property contract (see assets/README.md);
  * every landmark rectangle is tile aligned, inside the map, at least 4
    tiles, and fully walkable;
  * all walkable cells form ONE 4-connected region (BFS).
A cell is walkable when no layer has a tile with blocked=true there.
Finally it prints an ASCII render ('.' walkable, '#' blocked, letters for
landmarks) and a more detailed one showing the tile kinds.
"""

import os
import struct
import sys
import zlib
import xml.etree.ElementTree as ET
from collections import deque

# --------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------

HERE = os.path.dirname(os.path.abspath(__file__))
ASSETS = os.path.dirname(HERE)
PNG_PATH = os.path.join(ASSETS, "tilesets", "village.png")
TSX_PATH = os.path.join(ASSETS, "tilesets", "village.tsx")
TMX_PATH = os.path.join(ASSETS, "maps", "village.tmx")

# --------------------------------------------------------------------------
# Tile catalogue: (name, blocked, ascii char for the detailed render)
# Tile id = index in this list; gid in the map = id + 1 (firstgid = 1).
# --------------------------------------------------------------------------

TILE = 16
COLUMNS = 8

TILES = [
    ("grass", False, ","),
    ("flowers", False, "*"),
    ("path", False, ":"),
    ("cobble", False, "_"),
    ("sand", False, "s"),
    ("water", True, "~"),
    ("bridge", False, "="),
    ("floor", False, "."),
    ("wall", True, "#"),
    ("window", True, "o"),
    ("door", False, "D"),
    ("tree", True, "T"),
    ("fence", True, "+"),
    ("board", True, "N"),
    ("bush", True, "b"),
    ("rock", True, "r"),
    ("well", True, "O"),
    ("table", True, "t"),
    ("bookshelf", True, "k"),
    ("stall", True, "S"),
    ("crate", True, "x"),
    ("anvil", True, "a"),
    ("lamp", True, "i"),
    ("rug", False, "u"),
]
TILE_ID = {name: i for i, (name, _, _) in enumerate(TILES)}
BLOCKED = {name: blocked for name, blocked, _ in TILES}

MAP_W, MAP_H = 48, 32


def hsh(*parts):
    """Deterministic small hash of the given values (CRC32 of their repr)."""
    return zlib.crc32(repr(parts).encode("ascii"))


# --------------------------------------------------------------------------
# Tileset drawing
# --------------------------------------------------------------------------

TRANSPARENT = (0, 0, 0, 0)


def rgba(c):
    return c if len(c) == 4 else (c[0], c[1], c[2], 255)


class Tile:
    """A 16x16 RGBA drawing surface."""

    def __init__(self, fill=TRANSPARENT):
        self.px = [[rgba(fill)] * TILE for _ in range(TILE)]

    def put(self, x, y, c):
        if 0 <= x < TILE and 0 <= y < TILE:
            self.px[y][x] = rgba(c)

    def get(self, x, y):
        return self.px[y][x]

    def rect(self, x0, y0, x1, y1, c):
        """Fill the inclusive rectangle (x0, y0)-(x1, y1)."""
        for y in range(y0, y1 + 1):
            for x in range(x0, x1 + 1):
                self.put(x, y, c)

    def outline(self, x0, y0, x1, y1, c):
        for x in range(x0, x1 + 1):
            self.put(x, y0, c)
            self.put(x, y1, c)
        for y in range(y0, y1 + 1):
            self.put(x0, y, c)
            self.put(x1, y, c)

    def disc(self, cx, cy, rx, ry, c):
        for y in range(TILE):
            for x in range(TILE):
                dx = (x + 0.5 - cx) / rx
                dy = (y + 0.5 - cy) / ry
                if dx * dx + dy * dy <= 1.0:
                    self.put(x, y, c)

    def speckle(self, seed, count, colors):
        for i in range(count):
            v = hsh(seed, i)
            x, y = v % TILE, (v >> 8) % TILE
            self.put(x, y, colors[(v >> 16) % len(colors)])


def edge_shade(t, inside, outline_c):
    """Draw a 1 px outline around the opaque pixels that match `inside`."""
    marks = []
    for y in range(TILE):
        for x in range(TILE):
            if t.get(x, y) != inside:
                continue
            for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                nx, ny = x + dx, y + dy
                if not (0 <= nx < TILE and 0 <= ny < TILE) or t.get(nx, ny)[3] == 0:
                    marks.append((x, y))
                    break
    for x, y in marks:
        t.put(x, y, outline_c)


GRASS = (104, 168, 72)
GRASS_DARK = (78, 136, 56)
GRASS_LIGHT = (132, 190, 92)


def draw_grass(seed="grass"):
    t = Tile(GRASS)
    # darker speckles and a few tiny blades
    t.speckle(seed + "d", 14, [GRASS_DARK])
    for i in range(5):
        v = hsh(seed, "blade", i)
        x, y = v % 15, 1 + (v >> 8) % 14
        t.put(x, y, GRASS_DARK)
        t.put(x, y - 1, GRASS_LIGHT)
    return t


def draw_flowers():
    t = draw_grass("flowergrass")
    flowers = [
        (3, 3, (226, 64, 70)),
        (11, 4, (244, 208, 64)),
        (6, 10, (248, 248, 240)),
        (12, 12, (236, 120, 180)),
        (2, 13, (150, 110, 230)),
    ]
    for x, y, c in flowers:
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            t.put(x + dx, y + dy, c)
        t.put(x, y, (250, 190, 40))
        t.put(x, y + 2, (60, 120, 50))  # stem
    return t


def draw_path():
    dirt = (194, 168, 124)
    t = Tile(dirt)
    t.speckle("dirt", 12, [(174, 148, 106), (212, 190, 148)])
    stones = [(1, 1, 6, 5), (9, 1, 14, 6), (1, 8, 5, 14), (8, 9, 14, 14)]
    for i, (x0, y0, x1, y1) in enumerate(stones):
        base = [(170, 164, 150), (160, 156, 144), (178, 170, 154), (166, 160, 150)][i]
        t.rect(x0, y0, x1, y1, base)
        t.outline(x0, y0, x1, y1, (128, 120, 108))
        # rounded corners: let the dirt show through
        for cx, cy in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
            t.put(cx, cy, dirt)
        for x in range(x0 + 1, x1):
            t.put(x, y0 + 1, (196, 190, 176))  # highlight
    return t


def draw_cobble():
    mortar = (118, 112, 106)
    t = Tile(mortar)
    shades = [(170, 166, 158), (156, 152, 146), (182, 176, 166), (164, 158, 150)]
    for r in range(4):
        y0 = r * 4
        off = 4 if r % 2 else 0
        for k in range(-1, 2):
            x0 = k * 8 + off
            c = shades[hsh("cob", r, k) % len(shades)]
            for y in range(y0, y0 + 3):
                for x in range(x0, x0 + 7):
                    t.put(x, y, c)
            for x in range(x0, x0 + 7):
                t.put(x, y0, (196, 192, 184))  # top highlight
    return t


def draw_sand():
    t = Tile((228, 208, 150))
    t.speckle("sand", 16, [(206, 184, 124), (242, 228, 182)])
    for i in range(3):
        v = hsh("shell", i)
        x, y = 1 + v % 13, 1 + (v >> 8) % 13
        t.put(x, y, (196, 170, 112))
        t.put(x + 1, y, (196, 170, 112))
    return t


WATER = (58, 118, 196)


def draw_water():
    t = Tile(WATER)
    for y in range(TILE):
        if y % 8 in (5, 6):
            for x in range(TILE):
                t.put(x, y, (52, 108, 184))
    light = (140, 192, 238)
    for x0, y0 in ((1, 3), (9, 6), (4, 11), (11, 14)):
        # a small "~" wave crest
        for dx, dy in ((0, 0), (1, -1), (2, -1), (3, 0), (4, 0), (5, 1)):
            t.put(x0 + dx, y0 + dy, light)
    t.put(13, 1, (200, 226, 250))
    t.put(6, 8, (200, 226, 250))
    return t


def draw_bridge():
    t = Tile()
    gap = (96, 64, 36)
    for x in range(TILE):
        plank = x // 4
        c = (172, 122, 72) if plank % 2 == 0 else (158, 110, 64)
        for y in range(TILE):
            t.put(x, y, gap if x % 4 == 3 else c)
    for x in range(TILE):
        t.put(x, 0, (120, 84, 48))
        t.put(x, 15, (120, 84, 48))
    for p in range(4):
        t.put(p * 4 + 1, 2, (70, 50, 30))
        t.put(p * 4 + 1, 13, (70, 50, 30))
        t.put(p * 4 + 2, 7 + (p % 2) * 2, (190, 142, 92))  # grain
    return t


def draw_floor():
    t = Tile()
    for y in range(TILE):
        row = y // 4
        c = (184, 134, 84) if row % 2 == 0 else (172, 124, 78)
        for x in range(TILE):
            t.put(x, y, c)
        if y % 4 == 3:
            for x in range(TILE):
                t.put(x, y, (132, 92, 56))
    for row in range(4):
        jx = (row * 5 + 3) % TILE
        for y in range(row * 4, row * 4 + 3):
            t.put(jx, y, (132, 92, 56))
        v = hsh("grain", row)
        t.put((jx + 4 + v % 5) % TILE, row * 4 + 1, (160, 112, 70))
        t.put((jx + 5 + v % 5) % TILE, row * 4 + 1, (160, 112, 70))
    return t


BRICK_MORTAR = (206, 196, 180)


def draw_wall():
    t = Tile(BRICK_MORTAR)
    shades = [(168, 82, 62), (156, 72, 54), (176, 92, 68)]
    for r in range(4):
        y0 = r * 4
        off = 4 if r % 2 else 0
        for k in range(-1, 2):
            x0 = k * 8 + off
            c = shades[hsh("brick", r, k) % len(shades)]
            for y in range(y0, y0 + 3):
                for x in range(x0, x0 + 7):
                    t.put(x, y, c)
            for x in range(x0, x0 + 7):
                t.put(x, y0 + 2, (132, 60, 46))  # lower shadow
    return t


def draw_window():
    t = draw_wall()
    frame = (98, 66, 40)
    t.rect(3, 3, 12, 12, frame)
    t.rect(4, 4, 11, 11, (150, 200, 236))
    for i in range(4):
        t.put(5 + i, 8 - i, (222, 240, 255))  # glint
    for k in range(4, 12):
        t.put(7, k, frame)
        t.put(8, k, frame)
        t.put(k, 7, frame)
    t.rect(2, 12, 13, 13, (190, 180, 166))  # sill
    return t


def draw_door():
    t = draw_wall()
    frame = (96, 62, 36)
    t.rect(3, 1, 12, 15, frame)
    wood = [(150, 98, 54), (140, 90, 50)]
    for x in range(4, 12):
        for y in range(2, 16):
            t.put(x, y, wood[(x // 2) % 2])
    for y in range(2, 16):
        t.put(7, y, (112, 72, 40))
    t.rect(4, 5, 11, 5, (112, 72, 40))
    t.rect(4, 11, 11, 11, (112, 72, 40))
    t.put(10, 8, (236, 200, 76))  # knob
    t.put(10, 9, (180, 140, 50))
    return t


def draw_tree():
    t = Tile()
    trunk = (112, 74, 42)
    t.rect(6, 10, 9, 15, trunk)
    t.put(6, 15, (84, 54, 30))
    t.put(9, 15, (84, 54, 30))
    t.put(8, 12, (84, 54, 30))
    leaf = (54, 118, 54)
    t.disc(8, 6.5, 7.2, 6.3, leaf)
    t.disc(6.5, 5.5, 4.2, 3.6, (74, 146, 66))
    t.disc(5.5, 4.5, 1.8, 1.5, (118, 182, 92))
    t.put(10, 8, (74, 146, 66))
    t.put(11, 5, (74, 146, 66))
    edge_shade(t, leaf, (32, 84, 38))
    return t


def draw_fence():
    t = Tile()
    wood = (164, 116, 66)
    dark = (104, 70, 38)
    for y0 in (5, 10):
        t.rect(0, y0, 15, y0 + 1, wood)
        t.rect(0, y0 + 2, 15, y0 + 2, dark)
    for x0 in (2, 12):
        t.rect(x0, 2, x0 + 1, 14, (176, 126, 74))
        t.rect(x0 + 1, 3, x0 + 1, 14, dark)
        t.put(x0, 2, (210, 166, 110))
    return t


def draw_board():
    t = Tile()
    post = (104, 70, 38)
    t.rect(3, 9, 4, 15, post)
    t.rect(11, 9, 12, 15, post)
    t.rect(1, 1, 14, 10, (118, 78, 42))
    t.rect(2, 2, 13, 9, (214, 184, 128))
    notes = [(3, 3, 6, 6, (250, 250, 240)), (8, 3, 11, 5, (250, 230, 120)),
             (7, 6, 10, 8, (240, 170, 190)), (3, 7, 5, 8, (180, 220, 250))]
    for x0, y0, x1, y1, c in notes:
        t.rect(x0, y0, x1, y1, c)
    for x, y in ((4, 3), (9, 3), (8, 6), (4, 7)):
        t.put(x, y, (210, 40, 40))  # pins
    t.rect(4, 5, 5, 5, (120, 120, 120))  # text line
    return t


def draw_bush():
    t = Tile()
    leaf = (60, 132, 58)
    t.disc(8, 9, 7.0, 5.8, leaf)
    t.disc(6.5, 7.5, 3.5, 2.6, (86, 158, 74))
    edge_shade(t, leaf, (36, 90, 40))
    for x, y in ((5, 10), (9, 7), (11, 11), (7, 12)):
        t.put(x, y, (200, 44, 60))
    return t


def draw_rock():
    t = Tile()
    base = (140, 140, 136)
    t.disc(8, 9.5, 6.8, 5.2, base)
    t.disc(6.5, 8, 3.6, 2.4, (170, 170, 164))
    t.put(5, 7, (206, 206, 200))
    t.put(6, 7, (206, 206, 200))
    for x in range(4, 13):
        if t.get(x, 13)[3]:
            t.put(x, 13, (104, 104, 100))
    edge_shade(t, base, (78, 78, 74))
    t.put(10, 10, (104, 104, 100))
    t.put(11, 9, (104, 104, 100))
    return t


def draw_well():
    t = Tile()
    stone = (150, 146, 140)
    t.disc(8, 8, 7.6, 7.6, stone)
    for a in range(16):
        v = hsh("wellstone", a)
        x, y = v % TILE, (v >> 8) % TILE
        if t.get(x, y) == rgba(stone):
            t.put(x, y, (124, 120, 114))
    edge_shade(t, stone, (90, 86, 82))
    t.disc(8, 8, 4.6, 4.6, (44, 96, 170))
    t.disc(7, 7, 2.2, 2.2, WATER)
    t.put(6, 6, (200, 226, 250))
    return t


def draw_table():
    t = Tile()
    top = (168, 116, 66)
    t.rect(2, 12, 3, 14, (100, 66, 36))
    t.rect(12, 12, 13, 14, (100, 66, 36))
    t.rect(1, 3, 14, 12, top)
    t.outline(1, 3, 14, 12, (112, 74, 42))
    t.rect(2, 11, 13, 11, (140, 96, 54))
    # a cup and saucer
    t.rect(4, 5, 7, 8, (244, 244, 236))
    t.rect(5, 6, 6, 7, (110, 66, 36))  # coffee
    t.put(8, 6, (244, 244, 236))
    # a small plate with a pastry
    t.rect(9, 6, 12, 9, (230, 230, 222))
    t.rect(10, 7, 11, 8, (214, 150, 70))
    return t


def draw_bookshelf():
    frame = (112, 72, 40)
    t = Tile(frame)
    t.rect(0, 0, 15, 0, (84, 52, 28))
    spines = [(180, 50, 50), (50, 90, 170), (60, 140, 70), (220, 180, 60),
              (130, 70, 150), (200, 110, 50), (230, 230, 220)]
    for shelf_y in (1, 8):
        t.rect(1, shelf_y, 14, shelf_y + 5, (60, 38, 22))  # shelf shadow
        x = 1
        i = 0
        while x < 15:
            v = hsh("book", shelf_y, i)
            w = 1 + v % 2
            top = shelf_y + (v >> 4) % 2
            c = spines[(v >> 8) % len(spines)]
            t.rect(x, top, min(14, x + w - 1), shelf_y + 5, c)
            x += w
            if (v >> 12) % 5 == 0:
                x += 1  # gap between books
            i += 1
        t.rect(0, shelf_y + 6, 15, shelf_y + 6, (140, 96, 56))  # shelf plank
    return t


def draw_stall():
    t = Tile()
    red, white = (200, 60, 56), (242, 236, 222)
    for x in range(TILE):
        c = red if (x // 2) % 2 == 0 else white
        for y in range(0, 6):
            t.put(x, y, c)
        if (x // 2) % 2 == 0:
            t.put(x, 6, c)  # scalloped edge
    t.rect(0, 0, 15, 0, (150, 40, 38))
    t.rect(0, 7, 0, 15, (104, 70, 38))
    t.rect(15, 7, 15, 15, (104, 70, 38))
    t.rect(1, 10, 14, 15, (156, 108, 62))
    t.rect(1, 10, 14, 10, (120, 82, 46))
    produce = [(3, 8, (240, 150, 40)), (6, 8, (210, 40, 40)), (9, 8, (110, 180, 60)),
               (12, 8, (240, 210, 60))]
    for x, y, c in produce:
        t.rect(x, y, x + 1, y + 1, c)
        t.put(x, y, (255, 255, 255, 255) if c == (240, 210, 60) else c)
    return t


def draw_crate():
    t = Tile()
    wood = (182, 132, 76)
    dark = (116, 78, 42)
    t.rect(1, 2, 14, 14, wood)
    t.outline(1, 2, 14, 14, dark)
    t.outline(2, 3, 13, 13, (150, 104, 58))
    for i in range(10):
        t.put(3 + i, 4 + i, dark)
        t.put(12 - i, 4 + i, dark)
    t.rect(1, 15, 14, 15, (0, 0, 0, 60))  # soft shadow
    return t


def draw_anvil():
    t = Tile()
    # wooden stump
    t.rect(4, 11, 11, 15, (122, 84, 48))
    t.rect(4, 11, 11, 11, (164, 124, 80))
    t.put(7, 13, (96, 64, 36))
    iron = (70, 72, 80)
    t.rect(3, 4, 13, 6, iron)
    t.rect(0, 5, 2, 5, iron)  # horn
    t.put(1, 4, iron)
    t.put(2, 4, iron)
    t.rect(6, 7, 10, 8, iron)
    t.rect(4, 9, 12, 10, iron)
    t.rect(3, 4, 13, 4, (132, 136, 146))  # face highlight
    t.put(1, 4, (132, 136, 146))
    t.put(2, 4, (132, 136, 146))
    t.put(11, 3, (250, 150, 50))  # spark
    t.put(13, 2, (250, 210, 80))
    return t


def draw_lamp():
    t = Tile()
    pole = (52, 52, 60)
    t.rect(7, 6, 8, 14, pole)
    t.rect(5, 14, 10, 15, pole)
    glow = (255, 230, 120, 90)
    for x, y in ((3, 3), (12, 3), (4, 1), (11, 1), (3, 5), (12, 5), (7, 0), (8, 0)):
        t.put(x, y, glow)
    t.rect(5, 1, 10, 5, pole)
    t.rect(6, 2, 9, 4, (252, 224, 112))
    t.put(6, 2, (255, 250, 210))
    t.rect(6, 0, 9, 0, pole)
    return t


def draw_rug():
    t = Tile((168, 48, 56))
    gold = (214, 170, 80)
    t.outline(1, 1, 14, 14, gold)
    t.outline(0, 0, 15, 15, (120, 32, 40))
    for i in range(5):
        t.put(7 - i + 0, 3 + i, gold)
        t.put(8 + i, 3 + i, gold)
        t.put(7 - i, 12 - i, gold)
        t.put(8 + i, 12 - i, gold)
    t.rect(7, 7, 8, 8, (60, 90, 150))
    return t


DRAWERS = {
    "grass": draw_grass, "flowers": draw_flowers, "path": draw_path,
    "cobble": draw_cobble, "sand": draw_sand, "water": draw_water,
    "bridge": draw_bridge, "floor": draw_floor, "wall": draw_wall,
    "window": draw_window, "door": draw_door, "tree": draw_tree,
    "fence": draw_fence, "board": draw_board, "bush": draw_bush,
    "rock": draw_rock, "well": draw_well, "table": draw_table,
    "bookshelf": draw_bookshelf, "stall": draw_stall, "crate": draw_crate,
    "anvil": draw_anvil, "lamp": draw_lamp, "rug": draw_rug,
}


def build_tileset_pixels():
    rows = (len(TILES) + COLUMNS - 1) // COLUMNS
    width, height = COLUMNS * TILE, rows * TILE
    img = [[TRANSPARENT] * width for _ in range(height)]
    for i, (name, _, _) in enumerate(TILES):
        tile = DRAWERS[name]()
        ox, oy = (i % COLUMNS) * TILE, (i // COLUMNS) * TILE
        for y in range(TILE):
            for x in range(TILE):
                img[oy + y][ox + x] = tile.px[y][x]
    return width, height, img


# --------------------------------------------------------------------------
# PNG writing / reading (stdlib only)
# --------------------------------------------------------------------------

PNG_SIG = b"\x89PNG\r\n\x1a\n"


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def encode_png(width, height, img):
    raw = bytearray()
    for row in img:
        raw.append(0)  # filter type: None
        for r, g, b, a in row:
            raw += bytes((r, g, b, a))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (PNG_SIG + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(bytes(raw), 9))
            + png_chunk(b"IEND", b""))


def decode_png(data):
    """Tiny PNG reader for 8-bit RGBA, non-interlaced images."""
    if data[:8] != PNG_SIG:
        raise ValueError("bad PNG signature")
    pos, idat, ihdr, seen_end = 8, b"", None, False
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise ValueError("CRC mismatch in chunk %r" % kind)
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            seen_end = True
        pos += 12 + length
    if ihdr is None or not seen_end:
        raise ValueError("missing IHDR or IEND")
    width, height, depth, ctype, comp, filt, interlace = ihdr
    if (depth, ctype, comp, filt, interlace) != (8, 6, 0, 0, 0):
        raise ValueError("unsupported PNG format %r" % (ihdr,))
    raw = zlib.decompress(idat)
    stride = width * 4
    if len(raw) != height * (stride + 1):
        raise ValueError("bad IDAT length")
    out, prev = [], bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 4] if i >= 4 else 0
            b = prev[i]
            c = prev[i - 4] if i >= 4 else 0
            if ftype == 0:
                pred = 0
            elif ftype == 1:
                pred = a
            elif ftype == 2:
                pred = b
            elif ftype == 3:
                pred = (a + b) // 2
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            else:
                raise ValueError("bad filter type %d" % ftype)
            line[i] = (line[i] + pred) & 0xFF
        out.append([tuple(line[x * 4:x * 4 + 4]) for x in range(width)])
        prev = line
    return width, height, out


# --------------------------------------------------------------------------
# Map layout
# --------------------------------------------------------------------------

# Landmarks: slug -> (kind, label, (x, y, w, h) in tiles). Filled by the
# layout code below so rectangles and buildings stay in sync.
LANDMARKS = []


class Grid:
    def __init__(self, fill):
        self.cells = [[fill] * MAP_W for _ in range(MAP_H)]

    def set(self, x, y, name):
        if not (0 <= x < MAP_W and 0 <= y < MAP_H):
            raise ValueError("cell out of bounds: %d,%d" % (x, y))
        if name is not None and name not in TILE_ID:
            raise ValueError("unknown tile %r" % name)
        self.cells[y][x] = name

    def get(self, x, y):
        return self.cells[y][x]

    def fill(self, x0, y0, x1, y1, name):
        """Fill the inclusive tile rectangle (x0, y0)-(x1, y1)."""
        for y in range(y0, y1 + 1):
            for x in range(x0, x1 + 1):
                self.set(x, y, name)


def add_landmark(slug, kind, label, x, y, w, h):
    LANDMARKS.append((slug, kind, label, (x, y, w, h)))


def building(ground, struct_, x0, y0, x1, y1, door, windows=()):
    """Walls around (x0,y0)-(x1,y1) (inclusive, walls on the edge), floor
    inside, a door tile (walkable) at `door`, windows on wall cells."""
    ground.fill(x0, y0, x1, y1, "floor")
    for x in range(x0, x1 + 1):
        struct_.set(x, y0, "wall")
        struct_.set(x, y1, "wall")
    for y in range(y0, y1 + 1):
        struct_.set(x0, y, "wall")
        struct_.set(x1, y, "wall")
    for wx, wy in windows:
        struct_.set(wx, wy, "window")
    struct_.set(door[0], door[1], "door")


def build_map():
    LANDMARKS.clear()
    g = Grid("grass")   # ground layer: never empty
    s = Grid(None)      # structures layer: None = empty

    # --- scattered wild flowers on the grass --------------------------------
    for y in range(MAP_H):
        for x in range(MAP_W):
            if hsh("flower", x, y) % 100 < 6:
                g.set(x, y, "flowers")

    # --- river (north-south) with sandy banks --------------------------------
    for y in range(MAP_H):
        wobble = 1 if 9 <= y <= 12 or 24 <= y <= 26 else 0
        g.set(35 + wobble, y, "sand")
        g.set(36 + wobble, y, "water")
        g.set(37 + wobble, y, "water")
        g.set(38 + wobble, y, "sand")
        if wobble:
            g.set(35, y, "sand")

    # --- small pond in the west meadow ---------------------------------------
    pond = [(3, 12), (4, 12), (5, 12), (2, 13), (3, 13), (4, 13), (5, 13), (6, 13),
            (3, 14), (4, 14), (5, 14)]
    for x, y in pond:
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                if g.get(x + dx, y + dy) in ("grass", "flowers"):
                    g.set(x + dx, y + dy, "sand")
    for x, y in pond:
        g.set(x, y, "water")

    # --- roads ----------------------------------------------------------------
    # main east-west road (2 wide) crossing the river on a bridge
    for x in range(1, MAP_W - 1):
        for y in (15, 16):
            if g.get(x, y) == "water":
                g.set(x, y, "bridge")
            else:
                g.set(x, y, "path")
    # main north-south road (2 wide)
    g.fill(23, 1, 24, 30, "path")
    # south lane connecting the workshop and the two southern homes
    g.fill(7, 20, 33, 20, "path")
    # north lane in front of the café and library
    g.fill(5, 10, 20, 10, "path")
    # east lane across the river: Ash Lodge <-> road <-> Rowan Row
    g.fill(42, 9, 42, 21, "path")

    # --- plaza (centre) -------------------------------------------------------
    g.fill(18, 11, 29, 20, "cobble")          # cobbled square incl. rim
    add_landmark("plaza", "plaza", "Village Plaza", 19, 12, 10, 8)
    for lx, ly in ((18, 11), (29, 11), (18, 20), (29, 20)):
        s.set(lx, ly, "lamp")
    # flower beds on the plaza rim (walkable, decorative)
    for x in (20, 21, 26, 27):
        g.set(x, 11, "flowers")
        g.set(x, 20, "flowers")

    # --- town bulletin board (east of the plaza) ------------------------------
    g.fill(30, 11, 33, 14, "cobble")
    s.set(31, 11, "board")
    s.set(32, 11, "board")
    s.set(33, 11, "bush")
    s.set(30, 11, "bush")
    # The whole cobbled apron in front of the board (12 tiles): agents must stand here to
    # post, so it must hold a small crowd.
    add_landmark("board", "board", "Town Bulletin Board", 30, 12, 4, 3)

    # --- library (north-west) -------------------------------------------------
    building(g, s, 3, 2, 12, 8, door=(7, 8),
             windows=[(5, 2), (10, 2), (3, 5), (12, 5), (10, 8)])
    for x in range(4, 12):
        s.set(x, 3, "bookshelf")
    s.set(7, 3, "bookshelf")
    g.fill(6, 5, 9, 6, "rug")
    add_landmark("library", "library", "Old Library", 4, 4, 8, 4)
    g.fill(7, 9, 7, 9, "path")

    # --- café (north, west of the main road) ---------------------------------
    building(g, s, 14, 2, 20, 8, door=(17, 8),
             windows=[(16, 2), (18, 2), (14, 5), (20, 5), (15, 8), (19, 8)])
    for x in range(15, 20):
        s.set(x, 3, "table")
    add_landmark("cafe", "cafe", "Café Lumen", 15, 4, 5, 4)
    g.set(17, 9, "path")
    # café terrace tables by the lane, bushes framing it
    s.set(21, 4, "bush")
    s.set(21, 7, "bush")

    # --- market row (north, east of the main road) -----------------------------
    g.fill(26, 2, 33, 9, "cobble")
    for x in range(26, 34):
        s.set(x, 2, "stall" if x % 2 == 0 else "crate")
    s.set(27, 2, "stall")
    s.set(31, 2, "stall")
    # a second, shorter row of stalls on the south side; the west end stays
    # open towards the plaza lane
    for x, name in ((30, "stall"), (31, "crate"), (32, "stall"), (33, "stall")):
        s.set(x, 9, name)
    add_landmark("market", "market", "Market Row", 26, 3, 8, 6)
    g.fill(25, 5, 25, 7, "cobble")           # opens onto the main road
    g.fill(26, 10, 28, 10, "path")
    for x, y in ((25, 2), (25, 3), (34, 2), (34, 3)):
        s.set(x, y, "crate" if y == 2 else "bush")

    # --- Ash Lodge (home, east of the river, north) ----------------------------
    building(g, s, 40, 2, 45, 8, door=(42, 8),
             windows=[(43, 2), (45, 5), (40, 5)])
    for x in range(41, 45):
        s.set(x, 3, "bookshelf" if x == 41 else "table")
    g.fill(42, 5, 43, 6, "rug")
    add_landmark("home-ash", "home", "Ash Lodge", 41, 4, 4, 4)

    # --- Rowan Row (home, east of the river, south) -----------------------------
    building(g, s, 40, 22, 45, 28, door=(42, 22),
             windows=[(44, 22), (40, 25), (45, 25)])
    for x in range(41, 45):
        s.set(x, 27, "table" if x % 2 else "bookshelf")
    add_landmark("home-rowan", "home", "Rowan Row", 41, 23, 4, 4)

    # --- Tinker Workshop (south-west) ----------------------------------------
    building(g, s, 3, 22, 12, 28, door=(7, 22),
             windows=[(5, 22), (10, 22), (3, 25), (12, 25)])
    for x in range(4, 12):
        s.set(x, 27, ["crate", "anvil", "table", "crate", "bookshelf", "anvil",
                      "crate", "table"][x - 4])
    add_landmark("workshop", "workshop", "Tinker Workshop", 4, 23, 8, 4)
    g.fill(7, 21, 7, 21, "path")
    # yard: a few crates outside
    s.set(13, 27, "crate")
    s.set(13, 28, "crate")

    # --- Willow Cottage (home, south) ------------------------------------------
    building(g, s, 15, 22, 20, 28, door=(17, 22),
             windows=[(19, 22), (15, 25), (20, 25)])
    for x in range(16, 20):
        s.set(x, 27, "table" if x == 18 else "bookshelf")
    g.fill(17, 24, 18, 25, "rug")
    add_landmark("home-willow", "home", "Willow Cottage", 16, 23, 4, 4)
    g.set(17, 21, "path")

    # --- Birch House (home, south, east of the main road) -----------------------
    building(g, s, 27, 22, 32, 28, door=(29, 22),
             windows=[(31, 22), (27, 25), (32, 25)])
    for x in range(28, 32):
        s.set(x, 27, "table" if x == 30 else "bookshelf")
    g.fill(29, 24, 30, 25, "rug")
    add_landmark("home-birch", "home", "Birch House", 28, 23, 4, 4)
    g.set(29, 21, "path")

    # --- well by the south lane -------------------------------------------------
    s.set(25, 24, "well")
    g.fill(25, 23, 26, 25, "cobble")

    # --- garden fences and bushes -----------------------------------------------
    for x in (15, 16, 19, 20):
        s.set(x, 30, "fence")
    for x in (27, 28, 31, 32):
        s.set(x, 30, "fence")
    for x, y in ((14, 22), (21, 22), (26, 22), (33, 22), (39, 8), (46 - 1, 9),
                 (39, 22), (2, 22), (13, 22), (2, 8), (13, 8)):
        s.set(x, y, "bush")
    # fenced-off corner paddock south of the library lane
    for x in range(9, 14):
        s.set(x, 12, "fence")
    for y in range(12, 14):
        s.set(14, y, "fence")

    # --- rocks on the river banks ---------------------------------------------
    for x, y in ((35, 4), (38, 19), (35, 28), (39, 12), (34, 10)):
        s.set(x, y, "rock")
    for x, y in ((2, 15 - 4), (7, 14)):
        s.set(x, y, "rock")

    # --- lamps along the main road ---------------------------------------------
    for x, y in ((12, 14), (33, 17), (22, 5), (22, 27), (41, 14), (41, 17)):
        s.set(x, y, "lamp")

    # --- border of trees ----------------------------------------------------------
    for x in range(MAP_W):
        for y in (0, MAP_H - 1):
            if g.get(x, y) != "water":
                s.set(x, y, "tree")
    for y in range(MAP_H):
        for x in (0, MAP_W - 1):
            if g.get(x, y) != "water":
                s.set(x, y, "tree")
    # roads end in the forest: keep the tree, but a dirt path leading up
    for x, y in ((23, 0), (24, 0), (23, MAP_H - 1), (24, MAP_H - 1),
                 (0, 15), (0, 16), (MAP_W - 1, 15), (MAP_W - 1, 16)):
        g.set(x, y, "path")

    # --- scattered trees and groves on open grass -----------------------------
    # A tree is only kept if the walkable area stays one connected region.
    def free_for_tree(x, y):
        if g.get(x, y) not in ("grass", "flowers"):
            return False
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                nx, ny = x + dx, y + dy
                st = s.get(nx, ny)
                if st is not None and st != "tree":
                    return False
                if g.get(nx, ny) not in ("grass", "flowers", "sand"):
                    return False
        return not in_any_landmark(x, y, margin=1)

    for y in range(1, MAP_H - 1):
        for x in range(1, MAP_W - 1):
            if hsh("tree", x, y) % 100 < 35 and free_for_tree(x, y):
                s.set(x, y, "tree")
                try:
                    check_walkability(walkable_grid(g.cells, s.cells), LANDMARKS)
                except AssertionError:
                    s.set(x, y, None)
    return g, s


def in_any_landmark(x, y, margin=0):
    for _, _, _, (lx, ly, lw, lh) in LANDMARKS:
        if lx - margin <= x < lx + lw + margin and ly - margin <= y < ly + lh + margin:
            return True
    return False


# --------------------------------------------------------------------------
# Walkability checks
# --------------------------------------------------------------------------

def walkable_grid(ground, structures):
    """ground/structures: 2D lists of tile names (structures may hold None)."""
    return [[not BLOCKED[ground[y][x]]
             and (structures[y][x] is None or not BLOCKED[structures[y][x]])
             for x in range(MAP_W)] for y in range(MAP_H)]


def check_walkability(walk, landmarks):
    errors = []
    for slug, _, _, (x, y, w, h) in landmarks:
        if w * h < 4:
            errors.append("%s: rectangle smaller than 4 tiles" % slug)
        if x < 0 or y < 0 or x + w > MAP_W or y + h > MAP_H:
            errors.append("%s: rectangle out of bounds" % slug)
            continue
        for ty in range(y, y + h):
            for tx in range(x, x + w):
                if not walk[ty][tx]:
                    errors.append("%s: tile (%d,%d) is blocked" % (slug, tx, ty))
    cells = [(x, y) for y in range(MAP_H) for x in range(MAP_W) if walk[y][x]]
    if not cells:
        errors.append("no walkable cells")
    else:
        seen = {cells[0]}
        queue = deque([cells[0]])
        while queue:
            cx, cy = queue.popleft()
            for nx, ny in ((cx + 1, cy), (cx - 1, cy), (cx, cy + 1), (cx, cy - 1)):
                if (0 <= nx < MAP_W and 0 <= ny < MAP_H and walk[ny][nx]
                        and (nx, ny) not in seen):
                    seen.add((nx, ny))
                    queue.append((nx, ny))
        if len(seen) != len(cells):
            stray = sorted(set(cells) - seen)
            errors.append("walkable area is not one connected region; %d "
                          "unreachable cells, e.g. %s" % (len(stray), stray[:10]))
    if errors:
        raise AssertionError("map validation failed:\n  " + "\n  ".join(errors))


# --------------------------------------------------------------------------
# XML writers
# --------------------------------------------------------------------------

def xml_attr(v):
    return (str(v).replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


def make_tsx(img_w, img_h):
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<tileset version="1.10" tiledversion="1.10.2" name="village" '
           'tilewidth="%d" tileheight="%d" tilecount="%d" columns="%d">'
           % (TILE, TILE, len(TILES), COLUMNS),
           ' <image source="village.png" width="%d" height="%d"/>' % (img_w, img_h)]
    for i, (name, blocked, _) in enumerate(TILES):
        out += [' <tile id="%d">' % i,
                '  <properties>',
                '   <property name="blocked" type="bool" value="%s"/>'
                % ("true" if blocked else "false"),
                '   <property name="name" value="%s"/>' % xml_attr(name),
                '  </properties>',
                ' </tile>']
    out.append('</tileset>')
    return ("\n".join(out) + "\n").encode("utf-8")


def csv_layer(grid):
    rows = []
    for y in range(MAP_H):
        rows.append(",".join(
            str(0 if grid.get(x, y) is None else TILE_ID[grid.get(x, y)] + 1)
            for x in range(MAP_W)))
    return ",\n".join(rows)


def make_tmx(ground, structures):
    n_obj = len(LANDMARKS)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<map version="1.10" tiledversion="1.10.2" orientation="orthogonal" '
           'renderorder="right-down" width="%d" height="%d" tilewidth="%d" '
           'tileheight="%d" infinite="0" nextlayerid="4" nextobjectid="%d">'
           % (MAP_W, MAP_H, TILE, TILE, n_obj + 1),
           ' <tileset firstgid="1" source="../tilesets/village.tsx"/>']
    for lid, name, grid in ((1, "ground", ground), (2, "structures", structures)):
        out += [' <layer id="%d" name="%s" width="%d" height="%d">'
                % (lid, name, MAP_W, MAP_H),
                '  <data encoding="csv">',
                csv_layer(grid),
                '</data>',
                ' </layer>']
    out.append(' <objectgroup id="3" name="landmarks">')
    for oid, (slug, kind, label, (x, y, w, h)) in enumerate(LANDMARKS, start=1):
        out += ['  <object id="%d" name="%s" type="landmark" x="%d" y="%d" '
                'width="%d" height="%d">'
                % (oid, xml_attr(slug), x * TILE, y * TILE, w * TILE, h * TILE),
                '   <properties>',
                '    <property name="kind" value="%s"/>' % xml_attr(kind),
                '    <property name="label" value="%s"/>' % xml_attr(label),
                '   </properties>',
                '  </object>']
    out += [' </objectgroup>', '</map>']
    return ("\n".join(out) + "\n").encode("utf-8")


# --------------------------------------------------------------------------
# Validation of the written files (re-parsed from disk)
# --------------------------------------------------------------------------

REQUIRED_LANDMARKS = {
    "plaza": ("plaza", "Village Plaza"),
    "board": ("board", "Town Bulletin Board"),
    "cafe": ("cafe", "Café Lumen"),
    "market": ("market", "Market Row"),
    "library": ("library", "Old Library"),
    "workshop": ("workshop", "Tinker Workshop"),
    "home-willow": ("home", "Willow Cottage"),
    "home-birch": ("home", "Birch House"),
    "home-ash": ("home", "Ash Lodge"),
    "home-rowan": ("home", "Rowan Row"),
}

LANDMARK_LETTERS = {
    "plaza": "P", "board": "B", "cafe": "C", "market": "M", "library": "L",
    "workshop": "K", "home-willow": "W", "home-birch": "H", "home-ash": "A",
    "home-rowan": "R",
}


def props(elem):
    p = elem.find("properties")
    if p is None:
        return {}
    return {q.get("name"): (q.get("type", "string"), q.get("value"))
            for q in p.findall("property")}


def validate_files(expected_img):
    # PNG
    with open(PNG_PATH, "rb") as f:
        w, h, img = decode_png(f.read())
    assert (w, h) == (len(expected_img[0]), len(expected_img)), "PNG size"
    assert img == [list(r) for r in expected_img], "PNG pixels differ"

    # TSX
    ts = ET.parse(TSX_PATH).getroot()
    assert ts.tag == "tileset" and ts.get("version") == "1.10"
    assert int(ts.get("tilewidth")) == TILE and int(ts.get("tileheight")) == TILE
    tilecount, columns = int(ts.get("tilecount")), int(ts.get("columns"))
    assert columns == COLUMNS and tilecount == len(TILES) >= 16
    image = ts.find("image")
    assert image.get("source") == "village.png"
    assert int(image.get("width")) == w and int(image.get("height")) == h
    assert (w // TILE) * (h // TILE) >= tilecount
    tile_names, tile_blocked = {}, {}
    for t in ts.findall("tile"):
        tid = int(t.get("id"))
        p = props(t)
        assert p["name"][0] == "string" and p["name"][1]
        assert p["blocked"][0] == "bool" and p["blocked"][1] in ("true", "false")
        tile_names[tid] = p["name"][1]
        tile_blocked[tid] = p["blocked"][1] == "true"
    assert sorted(tile_names) == list(range(tilecount)), "every tile needs props"

    # TMX
    m = ET.parse(TMX_PATH).getroot()
    assert m.tag == "map" and m.get("version") == "1.10"
    assert m.get("orientation") == "orthogonal"
    assert m.get("renderorder") == "right-down" and m.get("infinite") == "0"
    assert (int(m.get("width")), int(m.get("height"))) == (MAP_W, MAP_H)
    assert (int(m.get("tilewidth")), int(m.get("tileheight"))) == (TILE, TILE)
    tsref = m.find("tileset")
    assert tsref.get("firstgid") == "1"
    assert tsref.get("source") == "../tilesets/village.tsx"
    assert os.path.normpath(os.path.join(os.path.dirname(TMX_PATH),
                                         tsref.get("source"))) == TSX_PATH
    children = [c for c in m if c.tag in ("layer", "objectgroup")]
    assert [(c.tag, c.get("name")) for c in children] == [
        ("layer", "ground"), ("layer", "structures"), ("objectgroup", "landmarks")]
    ids = [int(c.get("id")) for c in children]
    assert len(set(ids)) == 3 and int(m.get("nextlayerid")) > max(ids)

    layers = {}
    for layer in m.findall("layer"):
        data = layer.find("data")
        assert data.get("encoding") == "csv" and data.get("compression") is None
        vals = [int(v) for v in data.text.replace("\n", "").split(",")]
        assert len(vals) == MAP_W * MAP_H
        assert all(0 <= v <= tilecount for v in vals)
        layers[layer.get("name")] = [
            [tile_names[v - 1] if v else None for v in vals[r * MAP_W:(r + 1) * MAP_W]]
            for r in range(MAP_H)]
    assert all(c is not None for row in layers["ground"] for c in row), \
        "ground layer must have no empty cell"

    landmarks = []
    obj_ids = []
    for obj in m.find("objectgroup").findall("object"):
        obj_ids.append(int(obj.get("id")))
        assert obj.get("type") == "landmark"
        px = [int(obj.get(k)) for k in ("x", "y", "width", "height")]
        assert all(v % TILE == 0 for v in px), "landmark not tile aligned"
        p = props(obj)
        landmarks.append((obj.get("name"), p["kind"][1], p["label"][1],
                          tuple(v // TILE for v in px)))
    assert int(m.get("nextobjectid")) > max(obj_ids)
    slugs = [lm[0] for lm in landmarks]
    assert len(set(slugs)) == len(slugs), "duplicate landmark slug"
    for slug, (kind, label) in REQUIRED_LANDMARKS.items():
        found = [lm for lm in landmarks if lm[0] == slug]
        assert found, "missing landmark %s" % slug
        assert found[0][1:3] == (kind, label), "landmark %s kind/label" % slug
    assert sum(1 for lm in landmarks if lm[1] == "home") >= 4

    walk = walkable_grid(layers["ground"], layers["structures"])
    check_walkability(walk, landmarks)
    return layers, landmarks, walk


def ascii_renders(layers, landmarks, walk):
    char = {name: c for name, _, c in TILES}
    simple, detail = [], []
    for y in range(MAP_H):
        srow, drow = [], []
        for x in range(MAP_W):
            letter = None
            for slug, _, _, (lx, ly, lw, lh) in landmarks:
                if lx <= x < lx + lw and ly <= y < ly + lh:
                    letter = LANDMARK_LETTERS.get(slug, "?")
            srow.append(letter or ("." if walk[y][x] else "#"))
            st = layers["structures"][y][x]
            drow.append(char[st] if st else char[layers["ground"][y][x]])
        simple.append("".join(srow))
        detail.append("".join(drow))
    return simple, detail


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    img_w, img_h, img = build_tileset_pixels()
    ground, structures = build_map()
    # validate the in-memory layout first for a clearer error message
    check_walkability(walkable_grid(ground.cells, structures.cells), LANDMARKS)

    write_bytes(PNG_PATH, encode_png(img_w, img_h, img))
    write_bytes(TSX_PATH, make_tsx(img_w, img_h))
    write_bytes(TMX_PATH, make_tmx(ground, structures))

    layers, landmarks, walk = validate_files(img)
    simple, detail = ascii_renders(layers, landmarks, walk)
    out = sys.stdout
    out.write("wrote %s\nwrote %s\nwrote %s\n\n" % (
        os.path.relpath(PNG_PATH), os.path.relpath(TSX_PATH),
        os.path.relpath(TMX_PATH)))
    out.write("Walkability ('.' walkable, '#' blocked, letters = landmarks):\n")
    out.write("\n".join(simple) + "\n")
    out.write("  " + "  ".join("%s=%s" % (LANDMARK_LETTERS[s], s)
                                for s, _, _, _ in landmarks) + "\n\n")
    out.write("Tiles (structures over ground):\n")
    out.write("\n".join(detail) + "\n")
    out.write("  " + "  ".join("%s=%s" % (c, n) for n, _, c in TILES) + "\n")
    out.write("\nOK: %d landmarks, %d walkable cells in one connected region\n"
              % (len(landmarks), sum(map(sum, walk))))


if __name__ == "__main__":
    main()
