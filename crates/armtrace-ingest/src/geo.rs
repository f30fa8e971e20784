//! Where a point is: resolves a latitude and longitude, with the radius within which an item was
//! seen, to the country whose borders contain it, offline, from the Natural Earth 1:50m borders
//! that armtrace ships (`armtrace_refdata::COUNTRIES_50M_TOPOJSON`).
//!
//! [`CountryLocator::from_topojson`] decodes the TopoJSON itself: quantized, delta-encoded arcs
//! scaled by the topology's `transform`, rings joined from arcs (`~i`, a negative index, is arc `i`
//! reversed), `Polygon` and `MultiPolygon` with holes. An R-tree over the bounding boxes of the
//! polygons finds the few candidates for a point; an exact even-odd point-in-polygon test over all
//! of a polygon's rings (so holes, like Lesotho in South Africa, are respected) decides.
//!
//! The borders are planar in longitude and latitude, as Natural Earth draws them. world-atlas
//! stitched the polygons that Natural Earth cuts at the antimeridian (Russia, Fiji) and at the
//! South Pole (Antarctica): a ring that jumps across ±180° is unwrapped into one continuous ring
//! (Russia spans 27°E to 190°E), and a point is tested at its longitude and one turn east and
//! west. A ring that winds once around a pole is closed through that pole; the tiny ring at
//! 89.999°S that stitching leaves around the South Pole is dropped, so Antarctica is everything
//! south of its coast.
//!
//! Distances to borders (for the precision radius) are great-circle distances (haversine, mean
//! Earth radius) to the nearest point of each border segment, that point found in a local
//! equirectangular projection centred on the query (degrees of longitude shrink with latitude).
//! They are exact to metres for radii up to a few hundred kilometres, and approximate beyond.
//!
//! Architecture invariant: pure. Nothing here reads files or the network; the map comes in as
//! text. A point that is not a valid coordinate (NaN, infinite, latitude outside ±90°, longitude
//! outside ±180°) locates nowhere: [`Location::default`]. Callers should check coordinates first
//! with `armtrace_core::item::Place::validate`, which says what is wrong.

use armtrace_core::country::Country;
use rstar::{AABB, RTree, RTreeObject};
use serde::Deserialize;

/// Mean Earth radius in metres (IUGG).
const EARTH_RADIUS_M: f64 = 6_371_008.8;
/// Metres in one degree of a great circle.
const METRES_PER_DEGREE: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
/// Edges per chunk: each ring keeps the bounding box of every run of this many edges, so tests
/// skip most of a long border (Canada has 11 000 points) without looking at its edges.
const CHUNK: usize = 32;

/// A map that cannot be read: what is wrong, and in which feature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GeoError {
    #[error("the map is not valid JSON: {0}")]
    Json(String),
    #[error("the map is not a TopoJSON topology of countries: {0}")]
    Topology(String),
    #[error("map feature {index} ({name}): {message}")]
    Feature {
        index: usize,
        name: String,
        message: String,
    },
}

/// A country as the map names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MapCountry {
    /// ISO 3166 numeric code, zero-padded ("004"); `None` for the features the map leaves
    /// unlabelled (see [`UNLABELLED_FEATURES`]).
    pub numeric: Option<String>,
    /// The map's short name ("Dem. Rep. Congo").
    pub name: String,
}

/// Where a point is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The country whose polygon contains the point; `None` at sea, outside every polygon, or for
    /// a coordinate that is not valid. Where polygons overlap, the smallest one that contains the
    /// point (the enclave) is chosen and the others are in `also_possible`.
    pub country: Option<MapCountry>,
    /// Other countries whose border is within the precision radius, so the item may have been
    /// there, sorted by name. It never holds `country`. When the point is in no polygon, the
    /// countries within the radius are here: the nearest is never silently chosen.
    pub also_possible: Vec<MapCountry>,
}

/// Resolves points to countries. Build it once ([`CountryLocator::from_topojson`] takes some
/// milliseconds) and share it: lookups take `&self`.
pub struct CountryLocator {
    countries: Vec<MapCountry>,
    parts: Vec<Part>,
    tree: RTree<PartBox>,
}

impl std::fmt::Debug for CountryLocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountryLocator")
            .field("countries", &self.countries.len())
            .field("polygons", &self.parts.len())
            .finish_non_exhaustive()
    }
}

/// One polygon of a country (a `MultiPolygon` has several), its rings in continuous longitude.
#[derive(Debug)]
struct Part {
    country: usize,
    rings: Vec<Ring>,
    bbox: Bbox,
    /// Planar area in square degrees, to prefer the smaller of two overlapping polygons.
    area: f64,
}

#[derive(Debug)]
struct Ring {
    /// Closed: the last point equals the first. `[lon, lat]`; longitudes may leave ±180 (up to a
    /// turn east) where the ring crosses the antimeridian.
    points: Vec<[f64; 2]>,
    /// The bounding box of edges `i * CHUNK .. (i + 1) * CHUNK`.
    chunks: Vec<Bbox>,
}

#[derive(Debug, Clone, Copy)]
struct Bbox {
    min: [f64; 2],
    max: [f64; 2],
}

/// A part's bounding box in the R-tree.
#[derive(Debug)]
struct PartBox {
    part: usize,
    envelope: AABB<[f64; 2]>,
}

impl RTreeObject for PartBox {
    type Envelope = AABB<[f64; 2]>;

    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

impl CountryLocator {
    /// Decodes a TopoJSON topology whose object `countries` holds the countries (as world-atlas's
    /// `countries-50m.json` does) and indexes its polygons.
    pub fn from_topojson(text: &str) -> Result<CountryLocator, GeoError> {
        let features = decode(text)?;
        let mut countries = Vec::with_capacity(features.len());
        let mut parts = Vec::new();
        for (index, feature) in features.into_iter().enumerate() {
            for polygon in &feature.polygons {
                if let Some(part) =
                    Part::new(index, polygon).map_err(|message| GeoError::Feature {
                        index,
                        name: feature.country.name.clone(),
                        message,
                    })?
                {
                    parts.push(part);
                }
            }
            countries.push(feature.country);
        }
        let boxes = parts
            .iter()
            .enumerate()
            .map(|(part, p)| PartBox {
                part,
                envelope: AABB::from_corners(p.bbox.min, p.bbox.max),
            })
            .collect();
        Ok(CountryLocator {
            countries,
            parts,
            tree: RTree::bulk_load(boxes),
        })
    }

    /// Every country of the map, in the map's order.
    pub fn countries(&self) -> &[MapCountry] {
        &self.countries
    }

    /// Resolves a point. `precision_m` is the radius in metres within which the item was; `None`
    /// or 0 takes the point as exact. An invalid coordinate (see the module doc) gives
    /// [`Location::default`].
    pub fn locate(&self, lat: f64, lon: f64, precision_m: Option<u32>) -> Location {
        if !valid(lat, lon) {
            return Location::default();
        }
        let mut containing: Vec<usize> = Vec::new();
        for x in [lon - 360.0, lon, lon + 360.0] {
            let at = AABB::from_point([x, lat]);
            for b in self.tree.locate_in_envelope_intersecting(at) {
                if self.parts[b.part].contains(x, lat) {
                    containing.push(b.part);
                }
            }
        }
        containing.sort_by(|a, b| {
            self.parts[*a]
                .area
                .total_cmp(&self.parts[*b].area)
                .then(a.cmp(b))
        });
        let country = containing.first().map(|p| self.parts[*p].country);
        let mut others: Vec<usize> = containing
            .iter()
            .map(|p| self.parts[*p].country)
            .filter(|c| Some(*c) != country)
            .collect();
        if let Some(radius) = precision_m.filter(|r| *r > 0).map(f64::from) {
            let window = Window::around(lat, radius);
            for envelope in window.envelopes(lat, lon) {
                for b in self.tree.locate_in_envelope_intersecting(envelope) {
                    let part = &self.parts[b.part];
                    if Some(part.country) == country || others.contains(&part.country) {
                        continue;
                    }
                    if part.within(lat, lon, radius, &window) {
                        others.push(part.country);
                    }
                }
            }
        }
        others.sort_unstable();
        others.dedup();
        let mut also_possible: Vec<MapCountry> = others
            .into_iter()
            .map(|c| self.countries[c].clone())
            .collect();
        also_possible.sort_by(|a, b| a.name.cmp(&b.name).then(a.numeric.cmp(&b.numeric)));
        Location {
            country: country.map(|c| self.countries[c].clone()),
            also_possible,
        }
    }

    /// The country whose polygon contains the point, found by testing every polygon in turn
    /// without the R-tree: the same answer as [`CountryLocator::locate`]'s `country`. It is the
    /// baseline the index is measured and tested against; use `locate`.
    pub fn locate_by_scan(&self, lat: f64, lon: f64) -> Option<&MapCountry> {
        if !valid(lat, lon) {
            return None;
        }
        let mut best: Option<&Part> = None;
        for x in [lon - 360.0, lon, lon + 360.0] {
            for part in &self.parts {
                if part.contains(x, lat) && best.is_none_or(|b| part.area < b.area) {
                    best = Some(part);
                }
            }
        }
        best.map(|p| &self.countries[p.country])
    }
}

fn valid(lat: f64, lon: f64) -> bool {
    (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)
}

impl Part {
    /// A polygon in continuous longitude, or `None` when nothing of it is left (only the pole
    /// artefact). The message says what is wrong with a ring.
    fn new(country: usize, polygon: &[Vec<[f64; 2]>]) -> Result<Option<Part>, String> {
        let mut rings: Vec<Vec<[f64; 2]>> = Vec::new();
        for (k, ring) in polygon.iter().enumerate() {
            if let Some(r) = planar_ring(ring).map_err(|m| format!("ring {k}: {m}"))? {
                rings.push(r);
            }
        }
        let Some(first) = rings.first() else {
            return Ok(None);
        };
        // Holes sit in the same turn of longitude as the outer ring.
        let centre = |r: &[[f64; 2]]| {
            let b = Bbox::of(r.iter().copied());
            (b.min[0] + b.max[0]) / 2.0
        };
        let reference = centre(first);
        for ring in rings.iter_mut().skip(1) {
            let turns = ((reference - centre(ring)) / 360.0).round();
            shift(ring, turns * 360.0);
        }
        // The whole polygon starts within [-180, 180): a point needs testing only at its own
        // longitude and one turn either way.
        let bbox = Bbox::of(rings.iter().flatten().copied());
        let turns = ((bbox.min[0] + 180.0) / 360.0).floor();
        if turns != 0.0 {
            for ring in &mut rings {
                shift(ring, -turns * 360.0);
            }
        }
        let area = rings.first().map_or(0.0, |r| shoelace(r).abs());
        let rings: Vec<Ring> = rings.into_iter().map(Ring::new).collect();
        let bbox = Bbox::of(rings.iter().flat_map(|r| r.points.iter().copied()));
        Ok(Some(Part {
            country,
            rings,
            bbox,
            area,
        }))
    }

    /// Even-odd over all rings: inside the outer ring and not inside a hole.
    fn contains(&self, x: f64, y: f64) -> bool {
        if !self.bbox.contains(x, y) {
            return false;
        }
        self.rings
            .iter()
            .fold(false, |inside, ring| inside ^ ring.crossings_odd(x, y))
    }

    /// Whether some border of this polygon is within `radius` metres of the point.
    fn within(&self, lat: f64, lon: f64, radius: f64, window: &Window) -> bool {
        self.rings
            .iter()
            .any(|ring| ring.within(lat, lon, radius, window))
    }
}

impl Ring {
    fn new(points: Vec<[f64; 2]>) -> Ring {
        let edges = points.len().saturating_sub(1);
        let chunks = (0..edges.div_ceil(CHUNK))
            .map(|c| {
                let end = ((c + 1) * CHUNK).min(edges);
                Bbox::of(points[c * CHUNK..=end].iter().copied())
            })
            .collect();
        Ring { points, chunks }
    }

    /// Edges of chunk `c`: pairs of consecutive points.
    fn chunk_edges(&self, c: usize) -> impl Iterator<Item = (&[f64; 2], &[f64; 2])> {
        let end = ((c + 1) * CHUNK).min(self.points.len().saturating_sub(1));
        self.points[c * CHUNK..=end]
            .iter()
            .zip(&self.points[c * CHUNK + 1..=end])
    }

    /// Whether a ray from the point towards +x crosses the ring an odd number of times (edges are
    /// half-open in y, so a vertex on the ray counts once).
    fn crossings_odd(&self, x: f64, y: f64) -> bool {
        let mut odd = false;
        for (c, b) in self.chunks.iter().enumerate() {
            if y < b.min[1] || y >= b.max[1] || b.max[0] < x {
                continue;
            }
            for (p, q) in self.chunk_edges(c) {
                if (p[1] > y) != (q[1] > y) {
                    let at = p[0] + (y - p[1]) * (q[0] - p[0]) / (q[1] - p[1]);
                    if x < at {
                        odd = !odd;
                    }
                }
            }
        }
        odd
    }

    fn within(&self, lat: f64, lon: f64, radius: f64, window: &Window) -> bool {
        for (c, b) in self.chunks.iter().enumerate() {
            if !window.near(lat, lon, b.min, b.max) {
                continue;
            }
            for (p, q) in self.chunk_edges(c) {
                let (lo, hi) = corners(p, q);
                if window.near(lat, lon, lo, hi) && segment_distance(lat, lon, p, q) <= radius {
                    return true;
                }
            }
        }
        false
    }
}

fn corners(p: &[f64; 2], q: &[f64; 2]) -> ([f64; 2], [f64; 2]) {
    (
        [p[0].min(q[0]), p[1].min(q[1])],
        [p[0].max(q[0]), p[1].max(q[1])],
    )
}

impl Bbox {
    fn of(points: impl Iterator<Item = [f64; 2]>) -> Bbox {
        let mut b = Bbox {
            min: [f64::INFINITY; 2],
            max: [f64::NEG_INFINITY; 2],
        };
        for [x, y] in points {
            b.min = [b.min[0].min(x), b.min[1].min(y)];
            b.max = [b.max[0].max(x), b.max[1].max(y)];
        }
        b
    }

    fn contains(&self, x: f64, y: f64) -> bool {
        self.min[0] <= x && x <= self.max[0] && self.min[1] <= y && y <= self.max[1]
    }
}

/// The box of longitude and latitude, in degrees around the query point, that holds every point
/// within the radius.
#[derive(Debug)]
struct Window {
    /// Half-height in degrees of latitude.
    dlat: f64,
    /// Half-width in degrees of longitude; 180 or more when the circle reaches a pole.
    dlon: f64,
}

impl Window {
    fn around(lat: f64, radius: f64) -> Window {
        let dlat = radius / METRES_PER_DEGREE + 1e-9;
        let reach = lat.abs() + dlat;
        let dlon = if reach >= 89.0 {
            360.0
        } else {
            // The circle is widest where it is nearest a pole.
            dlat / reach.to_radians().cos() + 1e-9
        };
        Window { dlat, dlon }
    }

    /// The R-tree boxes to search: the window at the point's longitude and one turn either way
    /// (parts lie within [-180, 540)).
    fn envelopes(&self, lat: f64, lon: f64) -> Vec<AABB<[f64; 2]>> {
        let (lat0, lat1) = (lat - self.dlat, lat + self.dlat);
        if self.dlon >= 180.0 {
            return vec![AABB::from_corners([-540.0, lat0], [540.0, lat1])];
        }
        [-360.0, 0.0, 360.0]
            .iter()
            .map(|turn| {
                AABB::from_corners(
                    [lon + turn - self.dlon, lat0],
                    [lon + turn + self.dlon, lat1],
                )
            })
            .collect()
    }

    /// Whether a box (in a ring's continuous longitude) overlaps the window around the point.
    fn near(&self, lat: f64, lon: f64, min: [f64; 2], max: [f64; 2]) -> bool {
        if min[1] > lat + self.dlat || max[1] < lat - self.dlat {
            return false;
        }
        if self.dlon >= 180.0 {
            return true;
        }
        let from = wrap(min[0] - lon);
        let to = from + (max[0] - min[0]);
        let overlaps = |a: f64, b: f64| a <= self.dlon && b >= -self.dlon;
        overlaps(from, to) || overlaps(from - 360.0, to - 360.0) || to - from >= 360.0
    }
}

/// A longitude difference brought into [-180, 180).
fn wrap(d: f64) -> f64 {
    (d + 180.0).rem_euclid(360.0) - 180.0
}

/// Metres from the point to the nearest point of the edge `p`–`q` (straight in longitude and
/// latitude): that point is found in an equirectangular projection centred on the query, and its
/// distance measured on the sphere; the ends are measured too, so the answer is never below the
/// true distance by more than the projection's error.
fn segment_distance(lat: f64, lon: f64, p: &[f64; 2], q: &[f64; 2]) -> f64 {
    // The edge's longitudes relative to the point, on the side of the globe nearest it.
    let mut px = wrap(p[0] - lon);
    let mut qx = px + (q[0] - p[0]);
    let mid = (px + qx) / 2.0;
    if mid > 180.0 {
        px -= 360.0;
        qx -= 360.0;
    } else if mid < -180.0 {
        px += 360.0;
        qx += 360.0;
    }
    let k = lat.to_radians().cos();
    let (ax, ay) = (px * k, p[1] - lat);
    let (dx, dy) = ((qx - px) * k, q[1] - p[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let nearest = haversine(lat, lon, p[1] + t * (q[1] - p[1]), lon + px + t * (qx - px));
    nearest
        .min(haversine(lat, lon, p[1], lon + px))
        .min(haversine(lat, lon, q[1], lon + qx))
}

/// Great-circle distance in metres.
fn haversine(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.clamp(0.0, 1.0).sqrt().asin()
}

/// Twice the signed planar area of a closed ring.
fn shoelace(ring: &[[f64; 2]]) -> f64 {
    ring.windows(2)
        .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
        .sum::<f64>()
        / 2.0
}

fn shift(ring: &mut [[f64; 2]], dx: f64) {
    for p in ring {
        p[0] += dx;
    }
}

/// A decoded ring in continuous longitude: each step of more than 180° across the antimeridian
/// is taken the short way round. A ring that so winds once around a pole is closed through that
/// pole; `None` for the ring within 0.01° of a pole that stitching leaves (see the module doc).
fn planar_ring(ring: &[[f64; 2]]) -> Result<Option<Vec<[f64; 2]>>, String> {
    let mut out: Vec<[f64; 2]> = Vec::with_capacity(ring.len() + 2);
    for &[x, y] in ring {
        let x = match out.last() {
            Some(prev) => prev[0] + wrap(x - prev[0]),
            None => x,
        };
        out.push([x, y]);
    }
    let (Some(first), Some(last)) = (out.first().copied(), out.last().copied()) else {
        return Err("has no points".into());
    };
    let turns = ((last[0] - first[0]) / 360.0).round();
    if turns == 0.0 {
        return Ok(Some(out));
    }
    if turns.abs() > 1.0 {
        return Err("winds around a pole more than once".into());
    }
    if out.iter().all(|p| p[1].abs() >= 89.99) {
        return Ok(None);
    }
    let mean = out.iter().map(|p| p[1]).sum::<f64>() / out.len() as f64;
    let pole = if mean < 0.0 { -90.0 } else { 90.0 };
    out.push([last[0], pole]);
    out.push([first[0], pole]);
    out.push(first);
    Ok(Some(out))
}

// ---------------------------------------------------------------------------------------------
// TopoJSON decoding.

/// A decoded feature: its name and polygons, each a list of closed rings (the first the outer
/// ring) of `[lon, lat]` as the file has them.
#[derive(Debug)]
struct Feature {
    country: MapCountry,
    polygons: Vec<Vec<Vec<[f64; 2]>>>,
}

#[derive(Deserialize)]
struct RawTopology {
    #[serde(rename = "type")]
    kind: String,
    transform: Option<RawTransform>,
    arcs: Vec<Vec<Vec<f64>>>,
    objects: RawObjects,
}

#[derive(Deserialize)]
struct RawTransform {
    scale: [f64; 2],
    translate: [f64; 2],
}

#[derive(Deserialize)]
struct RawObjects {
    countries: Option<RawCollection>,
}

#[derive(Deserialize)]
struct RawCollection {
    #[serde(rename = "type")]
    kind: String,
    geometries: Vec<RawGeometry>,
}

#[derive(Deserialize)]
struct RawGeometry {
    #[serde(rename = "type")]
    kind: Option<String>,
    id: Option<serde_json::Value>,
    properties: Option<RawProperties>,
    arcs: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawProperties {
    name: Option<String>,
}

/// Decodes the `countries` object of a topology into features.
fn decode(text: &str) -> Result<Vec<Feature>, GeoError> {
    let topo: RawTopology =
        serde_json::from_str(text).map_err(|e| GeoError::Json(e.to_string()))?;
    if topo.kind != "Topology" {
        return Err(GeoError::Topology(format!(
            "its type is {:?}, not \"Topology\"",
            topo.kind
        )));
    }
    let arcs = decode_arcs(&topo.arcs, topo.transform.as_ref())?;
    let Some(countries) = topo.objects.countries else {
        return Err(GeoError::Topology("it has no object \"countries\"".into()));
    };
    if countries.kind != "GeometryCollection" {
        return Err(GeoError::Topology(format!(
            "its object \"countries\" is a {:?}, not a \"GeometryCollection\"",
            countries.kind
        )));
    }
    countries
        .geometries
        .into_iter()
        .enumerate()
        .map(|(index, g)| decode_feature(index, g, &arcs))
        .collect()
}

/// Absolute positions of every arc: quantized arcs are delta-encoded and scaled by `transform`.
fn decode_arcs(
    raw: &[Vec<Vec<f64>>],
    transform: Option<&RawTransform>,
) -> Result<Vec<Vec<[f64; 2]>>, GeoError> {
    if let Some(t) = transform
        && !t.scale.iter().chain(&t.translate).all(|v| v.is_finite())
    {
        return Err(GeoError::Topology(
            "its transform has a number that is not finite".into(),
        ));
    }
    raw.iter()
        .enumerate()
        .map(|(i, arc)| {
            let mut at = [0.0, 0.0];
            arc.iter()
                .map(|position| {
                    let &[x, y, ..] = position.as_slice() else {
                        return Err(GeoError::Topology(format!(
                            "arc {i} has a position with fewer than two numbers"
                        )));
                    };
                    let p = match transform {
                        Some(t) => {
                            at = [at[0] + x, at[1] + y];
                            [
                                at[0] * t.scale[0] + t.translate[0],
                                at[1] * t.scale[1] + t.translate[1],
                            ]
                        }
                        None => [x, y],
                    };
                    if p.iter().all(|v| v.is_finite()) {
                        Ok(p)
                    } else {
                        Err(GeoError::Topology(format!(
                            "arc {i} has a position that is not finite"
                        )))
                    }
                })
                .collect()
        })
        .collect()
}

fn decode_feature(
    index: usize,
    g: RawGeometry,
    arcs: &[Vec<[f64; 2]>],
) -> Result<Feature, GeoError> {
    let name = g.properties.and_then(|p| p.name).unwrap_or_default();
    let fail = |message: String| GeoError::Feature {
        index,
        name: name.clone(),
        message,
    };
    let numeric = match g.id {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => match n.as_u64() {
            Some(n) => Some(format!("{n:03}")),
            None => return Err(fail(format!("id {n} is not a country number"))),
        },
        Some(other) => return Err(fail(format!("id {other} is not a string or a number"))),
    };
    let raw = g.arcs.unwrap_or(serde_json::Value::Null);
    let shape = |e: serde_json::Error| fail(format!("its arcs do not fit its type: {e}"));
    let indexes: Vec<Vec<Vec<i64>>> = match g.kind.as_deref() {
        // A null geometry: a feature without area.
        None => Vec::new(),
        Some("Polygon") => vec![serde_json::from_value(raw).map_err(shape)?],
        Some("MultiPolygon") => serde_json::from_value(raw).map_err(shape)?,
        Some(other) => {
            return Err(fail(format!(
                "it is a {other}; a country must be a Polygon or a MultiPolygon"
            )));
        }
    };
    let polygons = indexes
        .iter()
        .enumerate()
        .map(|(p, rings)| {
            rings
                .iter()
                .enumerate()
                .map(|(r, ring)| {
                    join_ring(ring, arcs).map_err(|m| fail(format!("polygon {p}, ring {r}: {m}")))
                })
                .collect()
        })
        .collect::<Result<_, _>>()?;
    Ok(Feature {
        country: MapCountry { numeric, name },
        polygons,
    })
}

/// Joins a ring's arcs: `~i` (negative) is arc `i` reversed; each arc after the first starts
/// where the previous one ended, so its first position is dropped.
fn join_ring(indexes: &[i64], arcs: &[Vec<[f64; 2]>]) -> Result<Vec<[f64; 2]>, String> {
    let mut ring: Vec<[f64; 2]> = Vec::new();
    for &i in indexes {
        let (index, reversed) = if i >= 0 { (i, false) } else { (!i, true) };
        let arc = usize::try_from(index)
            .ok()
            .and_then(|k| arcs.get(k))
            .ok_or_else(|| format!("arc {i} does not exist ({} arcs)", arcs.len()))?;
        let skip = usize::from(!ring.is_empty());
        if reversed {
            ring.extend(arc.iter().rev().skip(skip));
        } else {
            ring.extend(arc.iter().skip(skip));
        }
    }
    if ring.len() < 4 {
        return Err(format!("has {} positions; a ring needs 4", ring.len()));
    }
    if ring.first() != ring.last() {
        return Err("is not closed: it ends where it did not start".into());
    }
    Ok(ring)
}

// ---------------------------------------------------------------------------------------------
// From the map's countries to armtrace's.

/// A feature the map leaves without an ISO number, and what armtrace makes of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unlabelled {
    /// The map's name.
    pub name: &'static str,
    /// The armtrace country code it maps to, or `None` when no one code is honest.
    pub code: Option<&'static str>,
    /// Why.
    pub why: &'static str,
}

/// The features of the Natural Earth 1:50m map that have no ISO 3166 number. The map draws de
/// facto borders; armtrace maps a feature to a state only where its reference data has that
/// entity or where the territory belongs to one recognised state, and otherwise returns no code
/// (the caller keeps the map's name and asks the analyst).
pub const UNLABELLED_FEATURES: &[Unlabelled] = &[
    Unlabelled {
        name: "Kosovo",
        code: Some("XKOS"),
        why: "armtrace's reference data has Kosovo (XKOS, data/countries/historic_states.csv)",
    },
    Unlabelled {
        name: "N. Cyprus",
        code: Some("XNCY"),
        why: "armtrace's reference data has Northern Cyprus (XNCY) as a state sources name; the \
              map draws the de facto line. Recognised only by Turkey: de jure Cyprus (CYP)",
    },
    Unlabelled {
        name: "Somaliland",
        code: Some("SOM"),
        why: "recognised by no state and absent from armtrace's reference data: de jure Somalia, \
              which the UN Somalia arms embargo covered. The map's name stays in MapCountry",
    },
    Unlabelled {
        name: "Indian Ocean Ter.",
        code: None,
        why: "one feature for two ISO territories of Australia, Christmas Island (CXR) and the \
              Cocos (Keeling) Islands (CCK): the map cannot say which",
    },
    Unlabelled {
        name: "Siachen Glacier",
        code: None,
        why: "disputed between India and Pakistan (held by India); armtrace does not decide",
    },
];

/// The armtrace country code of a map country: by ISO numeric code among the current states of
/// `countries` (armtrace's reference data, `armtrace_refdata::load()`), and for the features the
/// map leaves without a number, by name through [`UNLABELLED_FEATURES`]. `None` when nothing
/// matches, or when the table decides no code is honest.
pub fn country_code(map: &MapCountry, countries: &[Country]) -> Option<String> {
    let code = match &map.numeric {
        Some(numeric) => {
            let mut current = countries
                .iter()
                .filter(|c| !c.historic && c.numeric.as_ref() == Some(numeric));
            match (current.next(), current.next()) {
                (Some(c), None) => Some(c.code.as_str()),
                _ => None,
            }
        }
        None => UNLABELLED_FEATURES
            .iter()
            .find(|u| u.name == map.name)
            .and_then(|u| u.code),
    }?;
    countries
        .iter()
        .any(|c| c.code == code)
        .then(|| code.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Vec<Feature> {
        decode(armtrace_refdata::COUNTRIES_50M_TOPOJSON).unwrap()
    }

    #[test]
    fn every_shipped_feature_decodes_with_closed_rings() {
        let features = shipped();
        assert_eq!(features.len(), 241);
        let rings: usize = features
            .iter()
            .flat_map(|f| &f.polygons)
            .map(Vec::len)
            .sum();
        assert!(rings > 1600, "{rings} rings");
        for f in &features {
            assert!(!f.polygons.is_empty(), "{} has a shape", f.country.name);
            for ring in f.polygons.iter().flatten() {
                assert!(ring.len() >= 4, "{}", f.country.name);
                assert_eq!(ring.first(), ring.last(), "{} ring closed", f.country.name);
                for &[x, y] in ring {
                    assert!((-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y));
                }
            }
        }
        let unlabelled: Vec<&str> = features
            .iter()
            .filter(|f| f.country.numeric.is_none())
            .map(|f| f.country.name.as_str())
            .collect();
        assert_eq!(
            unlabelled,
            [
                "Somaliland",
                "Kosovo",
                "N. Cyprus",
                "Indian Ocean Ter.",
                "Siachen Glacier"
            ]
        );
    }

    /// A small topology: arc 0 is a square's lower-left half, arc 1 its upper-right half (shared
    /// with a second feature, which takes it reversed), arc 2 a hole.
    const SMALL: &str = r#"{"type":"Topology",
        "transform":{"scale":[0.5,0.25],"translate":[10,20]},
        "arcs":[[[0,0],[8,0],[0,8]], [[8,8],[-8,0],[0,-8]], [[2,2],[0,2],[2,0],[0,-2],[-2,0]],
                [[8,8],[0,-8],[4,0],[0,8],[-4,0]]],
        "objects":{"countries":{"type":"GeometryCollection","geometries":[
            {"type":"Polygon","id":"001","properties":{"name":"Square"},"arcs":[[0,1],[2]]},
            {"type":"MultiPolygon","id":4,"properties":{"name":"Beside"},"arcs":[[[3]]]},
            {"type":null,"properties":{"name":"Nothing"}}
        ]}}}"#;

    #[test]
    fn decodes_quantized_delta_encoded_arcs_reversed_arcs_and_holes() {
        let f = decode(SMALL).unwrap();
        let names: Vec<(Option<&str>, &str)> = f
            .iter()
            .map(|f| (f.country.numeric.as_deref(), f.country.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                (Some("001"), "Square"),
                (Some("004"), "Beside"),
                (None, "Nothing")
            ]
        );
        assert_eq!(
            f[0].polygons,
            [vec![
                vec![
                    [10.0, 20.0],
                    [14.0, 20.0],
                    [14.0, 22.0],
                    [10.0, 22.0],
                    [10.0, 20.0]
                ],
                vec![
                    [11.0, 20.5],
                    [11.0, 21.0],
                    [12.0, 21.0],
                    [12.0, 20.5],
                    [11.0, 20.5]
                ],
            ]]
        );
        let locator = CountryLocator::from_topojson(SMALL).unwrap();
        let at = |lat: f64, lon: f64| {
            locator
                .locate(lat, lon, None)
                .country
                .map(|c| c.name)
                .unwrap_or_default()
        };
        assert_eq!(at(21.5, 10.5), "Square");
        assert_eq!(at(20.75, 11.5), "", "in the hole");
        assert_eq!(at(21.0, 15.0), "Beside");
        assert_eq!(at(0.0, 0.0), "");
    }

    #[test]
    fn a_reversed_arc_is_walked_backwards() {
        // Ring [~0, ~1] is the same square walked the other way.
        let text = SMALL.replace(r#""arcs":[[0,1],[2]]"#, r#""arcs":[[-2,-1]]"#);
        let f = decode(&text).unwrap();
        assert_eq!(
            f[0].polygons[0][0],
            [
                [10.0, 20.0],
                [10.0, 22.0],
                [14.0, 22.0],
                [14.0, 20.0],
                [10.0, 20.0]
            ]
        );
    }

    #[test]
    fn a_damaged_map_is_an_error_naming_the_feature() {
        for (edit, expected) in [
            (
                (r#""arcs":[[0,1],[2]]"#, r#""arcs":[[0,7]]"#),
                "map feature 0 (Square): polygon 0, ring 0: arc 7 does not exist (4 arcs)",
            ),
            (
                (r#""arcs":[[0,1],[2]]"#, r#""arcs":[[0,2]]"#),
                "map feature 0 (Square): polygon 0, ring 0: is not closed: it ends where it did not start",
            ),
            (
                (r#""type":"MultiPolygon""#, r#""type":"Point""#),
                "map feature 1 (Beside): it is a Point; a country must be a Polygon or a MultiPolygon",
            ),
            (
                (r#""countries""#, r#""land""#),
                "the map is not a TopoJSON topology of countries: it has no object \"countries\"",
            ),
            (
                (r#""type":"Topology""#, r#""type":"FeatureCollection""#),
                "the map is not a TopoJSON topology of countries: its type is \"FeatureCollection\", not \"Topology\"",
            ),
        ] {
            let text = SMALL.replace(edit.0, edit.1);
            assert_ne!(text, SMALL);
            let e = CountryLocator::from_topojson(&text).unwrap_err();
            assert_eq!(e.to_string(), expected);
        }
        assert!(matches!(
            CountryLocator::from_topojson("{"),
            Err(GeoError::Json(_))
        ));
    }

    #[test]
    fn rings_across_the_antimeridian_are_unwrapped_and_polar_rings_closed() {
        let ring = [
            [179.0, 1.0],
            [-179.0, 1.0],
            [-179.0, -1.0],
            [179.0, -1.0],
            [179.0, 1.0],
        ];
        assert_eq!(
            planar_ring(&ring).unwrap().unwrap(),
            [
                [179.0, 1.0],
                [181.0, 1.0],
                [181.0, -1.0],
                [179.0, -1.0],
                [179.0, 1.0]
            ]
        );
        let around = [
            [-180.0, -70.0],
            [-60.0, -60.0],
            [60.0, -65.0],
            [180.0, -70.0],
        ];
        assert_eq!(
            planar_ring(&around).unwrap().unwrap(),
            [
                [-180.0, -70.0],
                [-60.0, -60.0],
                [60.0, -65.0],
                [180.0, -70.0],
                [180.0, -90.0],
                [-180.0, -90.0],
                [-180.0, -70.0]
            ]
        );
        let cap = [
            [-180.0, -89.999],
            [-60.0, -89.999],
            [60.0, -89.999],
            [180.0, -89.999],
        ];
        assert_eq!(planar_ring(&cap).unwrap(), None);
    }

    #[test]
    fn distances_are_great_circle_metres() {
        for (lat, lon, p, q, expected) in [
            // One degree of longitude at the equator, and at 60° (half as long).
            (0.0, 0.0, [1.0, -1.0], [1.0, 1.0], 111_195.0),
            (60.0, 0.0, [1.0, 59.0], [1.0, 61.0], 55_597.0),
            // Across the antimeridian.
            (0.0, 179.5, [-179.5, -1.0], [-179.5, 1.0], 111_195.0),
            (0.0, -179.5, [179.5, -1.0], [179.5, 1.0], 111_195.0),
            // The nearest point is an end.
            (0.0, 0.0, [0.0, 1.0], [0.0, 2.0], 111_195.0),
        ] {
            let d = segment_distance(lat, lon, &p, &q);
            assert!(
                (d - expected).abs() < 50.0,
                "({lat}, {lon}) to {p:?}-{q:?}: {d} m, expected {expected}"
            );
        }
    }
}

/// The map with armtrace's country codes: what checking a documented item asks of it. The
/// locator is shared: it is built once per process.
#[derive(Debug, Clone)]
pub struct CodedMap {
    locator: std::sync::Arc<CountryLocator>,
    codes: std::collections::HashMap<MapCountry, String>,
}

impl CodedMap {
    /// Codes every map country once, against armtrace's `countries`.
    pub fn new(locator: std::sync::Arc<CountryLocator>, countries: &[Country]) -> CodedMap {
        let codes = locator
            .countries()
            .iter()
            .filter_map(|m| country_code(m, countries).map(|c| (m.clone(), c)))
            .collect();
        CodedMap { locator, codes }
    }

    /// The armtrace codes of the country containing the point and of those within its
    /// precision radius. A map country without an armtrace code is named as the map names it
    /// in `also_possible`, never chosen.
    pub fn answer(&self, lat: f64, lon: f64, precision_m: Option<u32>) -> crate::items::MapAnswer {
        let found = self.locator.locate(lat, lon, precision_m);
        let code = |m: &MapCountry| self.codes.get(m).cloned();
        let mut also: Vec<String> = found
            .also_possible
            .iter()
            .map(|m| code(m).unwrap_or_else(|| m.name.clone()))
            .collect();
        let country = match &found.country {
            Some(m) => match code(m) {
                Some(c) => Some(c),
                None => {
                    also.push(m.name.clone());
                    None
                }
            },
            None => None,
        };
        also.sort();
        also.dedup();
        also.retain(|c| Some(c) != country.as_ref());
        crate::items::MapAnswer {
            country,
            also_possible: also,
        }
    }
}
