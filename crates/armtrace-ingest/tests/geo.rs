//! Coordinates resolve to countries on the shipped Natural Earth 1:50m map. Expected countries are
//! where the places are (city coordinates from the general record, rounded to 0.01°), not what the
//! locator happened to answer. The map's coasts are simplified, so a few coastal places are taken a
//! few kilometres inland, and the cases say so.

use armtrace_core::country::Country;
use armtrace_ingest::geo::{
    CountryLocator, Location, MapCountry, UNLABELLED_FEATURES, country_code,
};
use std::sync::LazyLock;

static LOCATOR: LazyLock<CountryLocator> = LazyLock::new(|| {
    CountryLocator::from_topojson(armtrace_refdata::COUNTRIES_50M_TOPOJSON)
        .unwrap_or_else(|e| panic!("the shipped map decodes: {e}"))
});

static COUNTRIES: LazyLock<Vec<Country>> = LazyLock::new(|| {
    armtrace_refdata::load()
        .unwrap_or_else(|e| panic!("{e}"))
        .countries
});

/// armtrace's code for a map country, or its map name in brackets when it has none.
fn code(c: &MapCountry) -> String {
    country_code(c, &COUNTRIES).unwrap_or_else(|| format!("[{}]", c.name))
}

/// "IRQ", "RWA | COD" (also possible after the bar), "-" for nowhere.
fn render(l: &Location) -> String {
    let mut s = l.country.as_ref().map_or("-".to_string(), code);
    if !l.also_possible.is_empty() {
        let also: Vec<String> = l.also_possible.iter().map(code).collect();
        s = format!("{s} | {}", also.join(" "));
    }
    s
}

fn check(cases: &[(&str, f64, f64, Option<u32>, &str)]) {
    let mut failures = Vec::new();
    for &(place, lat, lon, precision, expected) in cases {
        let got = render(&LOCATOR.locate(lat, lon, precision));
        if got != expected {
            failures.push(format!(
                "{place} ({lat}, {lon}, {precision:?}): got {got}, expected {expected}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn cities_resolve_to_their_country() {
    check(&[
        ("Mosul", 36.34, 43.13, None, "IRQ"),
        ("Baghdad", 33.31, 44.37, None, "IRQ"),
        ("Tehran", 35.69, 51.39, None, "IRN"),
        ("Kyiv", 50.45, 30.52, None, "UKR"),
        ("Bamako", 12.64, -8.00, None, "MLI"),
        ("Sana'a", 15.37, 44.19, None, "YEM"),
        ("Tripoli, Libya", 32.87, 13.19, None, "LBY"),
        ("Damascus", 33.51, 36.29, None, "SYR"),
        ("Juba", 4.85, 31.58, None, "SSD"),
        ("Khartoum", 15.50, 32.56, None, "SDN"),
        ("Goma", -1.68, 29.22, None, "COD"),
        ("Gisenyi", -1.70, 29.26, None, "RWA"),
        ("Kaliningrad", 54.71, 20.51, None, "RUS"),
        ("Moscow", 55.76, 37.62, None, "RUS"),
        ("Kabul", 34.53, 69.17, None, "AFG"),
        ("Bogotá", 4.71, -74.07, None, "COL"),
        ("Washington", 38.90, -77.04, None, "USA"),
        ("Sydney", -33.87, 151.21, None, "AUS"),
        ("Reykjavík", 64.15, -21.94, None, "ISL"),
    ]);
}

#[test]
fn enclaves_are_holes_in_the_country_around_them() {
    check(&[
        ("Maseru", -29.31, 27.48, None, "LSO"),
        ("Lesotho highlands", -29.60, 28.50, None, "LSO"),
        (
            "Ladybrand, just outside Lesotho",
            -29.19,
            27.46,
            None,
            "ZAF",
        ),
        ("Bloemfontein", -29.12, 26.21, None, "ZAF"),
        // At 1:50m the Vatican is a box about 1 km west of St Peter's.
        ("Vatican on the map", 41.902, 12.435, None, "VAT"),
        (
            "St Peter's Square, 2 km",
            41.902,
            12.457,
            Some(2_000),
            "ITA | VAT",
        ),
        ("Rome", 41.89, 12.50, None, "ITA"),
        ("San Marino", 43.94, 12.45, None, "SMR"),
        ("Nakhchivan is Azerbaijan", 39.21, 45.41, None, "AZE"),
    ]);
}

#[test]
fn the_antimeridian_and_the_poles() {
    check(&[
        ("Chukotka west of 180°", 65.00, 176.00, None, "RUS"),
        ("Chukotka east of 180°", 67.00, -175.00, None, "RUS"),
        ("near Uelen, far east", 66.10, -170.20, None, "RUS"),
        ("Wrangel Island, east of 180°", 71.25, -179.50, None, "RUS"),
        ("Wrangel Island, west of 180°", 71.25, 179.50, None, "RUS"),
        ("Viti Levu, Fiji", -17.80, 178.00, None, "FJI"),
        ("near Suva", -18.10, 178.40, None, "FJI"),
        (
            "Suva, on the coast: the map's coast is simplified",
            -18.14,
            178.44,
            None,
            "-",
        ),
        ("Suva, 10 km", -18.14, 178.44, Some(10_000), "- | FJI"),
        ("Taveuni east of 180°", -16.80, -179.90, None, "FJI"),
        ("Taveuni west of 180°", -16.92, 179.95, None, "FJI"),
        (
            "Vanua Levu's cape across 180°, east",
            -16.48,
            -179.95,
            None,
            "FJI",
        ),
        (
            "Vanua Levu's cape across 180°, west",
            -16.52,
            179.995,
            None,
            "FJI",
        ),
        ("Lau Islands", -17.20, -178.97, None, "FJI"),
        ("Pacific on the antimeridian", 0.0, 180.0, None, "-"),
        ("Pacific on the antimeridian, west", 0.0, -180.0, None, "-"),
        ("South Pole", -90.0, 0.0, None, "ATA"),
        ("South Pole at 180°", -90.0, 180.0, None, "ATA"),
        ("South Pole at -180°", -90.0, -180.0, None, "ATA"),
        ("Antarctica on the antimeridian", -85.0, 180.0, None, "ATA"),
        ("Antarctica at -180°", -85.0, -180.0, None, "ATA"),
        ("Vostok station", -78.46, 106.84, None, "ATA"),
        ("North Pole", 90.0, 0.0, None, "-"),
        ("North Pole at 180°", 90.0, 180.0, None, "-"),
        ("North Pole at -180°", 90.0, -180.0, None, "-"),
        (
            "North Pole, 1 000 km (Franz Josef Land)",
            90.0,
            0.0,
            Some(1_000_000),
            "- | CAN GRL RUS",
        ),
        (
            "North Pole, 750 km (Greenland 83.6°N, Ellesmere 83.1°N)",
            90.0,
            0.0,
            Some(750_000),
            "- | GRL",
        ),
    ]);
}

#[test]
fn the_sea_is_no_country_and_the_nearest_coast_is_never_chosen() {
    check(&[
        ("mid-Atlantic", 30.0, -40.0, None, "-"),
        ("mid-Atlantic, 100 km", 30.0, -40.0, Some(100_000), "-"),
        ("Gulf of Guinea", 0.0, 0.0, Some(50_000), "-"),
        ("Strait of Gibraltar", 35.95, -5.60, None, "-"),
        (
            "Strait of Gibraltar, 20 km",
            35.95,
            -5.60,
            Some(20_000),
            "- | MAR ESP",
        ),
        (
            "Bering Strait, 60 km",
            65.75,
            -169.00,
            Some(60_000),
            "- | RUS USA",
        ),
    ]);
}

#[test]
fn a_precision_radius_names_the_neighbours_it_reaches() {
    check(&[
        ("Gisenyi, 5 km", -1.70, 29.26, Some(5_000), "RWA | COD"),
        ("Gisenyi, 0 m", -1.70, 29.26, Some(0), "RWA"),
        ("Goma, 5 km", -1.68, 29.22, Some(5_000), "COD | RWA"),
        ("Maseru, 5 km", -29.31, 27.48, Some(5_000), "LSO | ZAF"),
        ("Mosul, 10 km", 36.34, 43.13, Some(10_000), "IRQ"),
        (
            "Mosul, 120 km",
            36.34,
            43.13,
            Some(120_000),
            "IRQ | SYR TUR",
        ),
        (
            "Kaliningrad, 50 km",
            54.71,
            20.51,
            Some(50_000),
            "RUS | POL",
        ),
        (
            "Wrangel Island, 100 km, across 180°",
            71.25,
            179.50,
            Some(100_000),
            "RUS",
        ),
        (
            "Diomede, 50 km",
            65.78,
            -169.00,
            Some(50_000),
            "- | RUS USA",
        ),
    ]);
}

#[test]
fn unlabelled_features_resolve_as_documented() {
    check(&[
        ("Pristina", 42.66, 21.16, None, "XKOS"),
        ("Famagusta", 35.12, 33.94, None, "XNCY"),
        ("Limassol", 34.68, 33.04, None, "CYP"),
        ("Hargeisa", 9.56, 44.06, None, "SOM"),
        ("Mogadishu", 2.05, 45.32, None, "SOM"),
        ("Siachen", 35.40, 77.10, None, "[Siachen Glacier]"),
        (
            "Christmas Island",
            -10.49,
            105.62,
            None,
            "[Indian Ocean Ter.]",
        ),
    ]);
}

#[test]
fn invalid_coordinates_locate_nowhere_without_panicking() {
    check(&[
        ("NaN latitude", f64::NAN, 0.0, None, "-"),
        ("NaN longitude", 0.0, f64::NAN, None, "-"),
        (
            "infinite",
            f64::INFINITY,
            f64::NEG_INFINITY,
            Some(1_000),
            "-",
        ),
        ("latitude beyond the pole", 90.000_001, 0.0, None, "-"),
        ("longitude beyond 180°", 0.0, 180.000_001, None, "-"),
        ("longitude beyond -180°", 0.0, -180.1, None, "-"),
    ]);
    // Every edge value and radius, from none to the largest: no panic, and the country never
    // repeats in also_possible.
    for lat in [-90.0, -89.999_999, -45.0, 0.0, 45.0, 89.999_999, 90.0] {
        for lon in [-180.0, -179.999_999, 0.0, 179.999_999, 180.0] {
            for precision in [None, Some(0), Some(1), Some(10_000), Some(u32::MAX)] {
                let l = LOCATOR.locate(lat, lon, precision);
                if let Some(c) = &l.country {
                    assert!(!l.also_possible.contains(c), "({lat}, {lon})");
                }
            }
        }
    }
    let everywhere = LOCATOR.locate(0.0, 0.0, Some(u32::MAX));
    assert_eq!(
        everywhere.also_possible.len(),
        241,
        "a radius beyond the antipode reaches every country"
    );
}

/// A deterministic stream of points over the whole globe (a 64-bit LCG; no randomness crate).
fn points(n: usize) -> impl Iterator<Item = (f64, f64)> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n).map(move |_| (next() * 180.0 - 90.0, next() * 360.0 - 180.0))
}

#[test]
fn the_r_tree_answers_as_a_scan_of_every_polygon() {
    let mut on_land = 0;
    for (lat, lon) in points(20_000) {
        let indexed = LOCATOR.locate(lat, lon, None).country;
        let scanned = LOCATOR.locate_by_scan(lat, lon).cloned();
        assert_eq!(indexed, scanned, "({lat}, {lon})");
        on_land += usize::from(indexed.is_some());
    }
    // About 29 % of the Earth's surface is land; uniform latitude over-samples the poles
    // (Antarctica), so expect somewhat more.
    assert!(
        (6_000..9_000).contains(&on_land),
        "{on_land} of 20 000 on land"
    );
}

#[test]
fn every_map_feature_has_a_code_or_a_documented_exception() {
    let features = LOCATOR.countries();
    assert_eq!(features.len(), 241);
    let mut unaccounted = Vec::new();
    for f in features {
        let exception = UNLABELLED_FEATURES.iter().find(|u| u.name == f.name);
        match (country_code(f, &COUNTRIES), exception) {
            (Some(c), _) => assert!(COUNTRIES.iter().any(|k| k.code == c && !k.historic)),
            (None, Some(u)) if u.code.is_none() && f.numeric.is_none() => {}
            (None, _) => unaccounted.push(format!("{f:?}")),
        }
    }
    assert!(
        unaccounted.is_empty(),
        "map features with no code:\n{}",
        unaccounted.join("\n")
    );
    // The table names exactly the features without a number.
    let mut unlabelled: Vec<&str> = features
        .iter()
        .filter(|f| f.numeric.is_none())
        .map(|f| f.name.as_str())
        .collect();
    let mut table: Vec<&str> = UNLABELLED_FEATURES.iter().map(|u| u.name).collect();
    unlabelled.sort_unstable();
    table.sort_unstable();
    assert_eq!(unlabelled, table);
}
