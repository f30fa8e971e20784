//! The serial index on synthetic serials of realistic shape (2–3 letter prefixes, year codes,
//! 6–8 digits, consecutive numbers within lots of 100–10 000, 48 maker/model contexts): build
//! time, memory per serial, adding 10k serials, save/load, and p50/p95 per query for exact,
//! confusable, one `?`, two edits, a 5-character fragment and a range (one run per query, and
//! the best of three per query, which leaves out the time other processes take on a shared
//! machine); beside the same queries
//! in the sqlite3 shell (an indexed `key` column: `=`, `GLOB`; `GLOB '*…*'` scans) and in
//! PostgreSQL with a `pg_trgm` GIN index (`=`, `LIKE`, `%` similarity; `levenshtein_less_equal`
//! from fuzzystrmatch as a scan). The SQL baselines are given the match keys, so they do none of
//! the normalisation.

use crate::scale::Rng;
use crate::secs;
use armtrace_serial::normalise::match_key;
use armtrace_serial::pattern::Token;
use armtrace_serial::{
    Context, Entry, Filter, Groups, MarkingRole, Pattern, RecordKind, RecordRef, SearchOptions,
    SerialIndex,
};
use fst::IntoStreamer;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const QUERIES: usize = 1000;
/// Runs per query for the best-of figures.
const BEST_OF: usize = 3;
const PREFIXES: [&str; 16] = [
    "AK", "KM", "BX", "TZ", "AB", "NR", "PL", "HK", "MKZ", "ARS", "CZB", "FNX", "GRD", "VPO",
    "LUX", "TUL",
];

struct Format {
    prefix: &'static str,
    year: Option<u64>,
    digits: usize,
    sep: &'static str,
}

/// Synthetic serials: lots of consecutive numbers in 48 contexts with their own formats.
fn generate(n: usize) -> Vec<Entry> {
    let mut rng = Rng(0x5e_71a1);
    let formats: Vec<Format> = (0..48)
        .map(|_| Format {
            prefix: PREFIXES[rng.below(PREFIXES.len() as u64) as usize],
            year: (rng.below(2) == 0).then(|| 70 + rng.below(30)),
            digits: 6 + rng.below(3) as usize,
            sep: ["-", " ", "", "/"][rng.below(4) as usize],
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let c = rng.below(formats.len() as u64) as usize;
        let f = &formats[c];
        // Lot sizes from 100 to 10 000, smaller ones more often.
        let size = (100.0 * 100f64.powf(rng.below(1000) as f64 / 1000.0)) as u64;
        let top = 10u64.pow(f.digits as u32);
        let start = rng.below(top - size);
        let kind = if rng.below(10) == 0 {
            RecordKind::LotSerial
        } else {
            RecordKind::ItemMarking
        };
        let group = if rng.below(10) < 7 {
            0
        } else {
            1 + rng.below(50) as u32
        };
        let role = if rng.below(20) == 0 {
            MarkingRole::Unspecified
        } else {
            MarkingRole::SerialNumber
        };
        for k in 0..size {
            if out.len() == n {
                break;
            }
            let mut raw = match f.year {
                Some(y) => format!(
                    "{}{}{y}{}{:0w$}",
                    f.prefix,
                    f.sep,
                    f.sep,
                    start + k,
                    w = f.digits
                ),
                None => format!("{}{}{:0w$}", f.prefix, f.sep, start + k, w = f.digits),
            };
            // One in a hundred read with a confusable letter for a digit.
            if rng.below(100) == 0 {
                raw = raw.replacen('0', "O", 1);
            }
            out.push(Entry {
                context: Context {
                    id: c as u32,
                    maker: Some(c as u32 % 8),
                    model: Some(c as u32),
                },
                raw,
                record: RecordRef {
                    kind,
                    id: out.len() as u64,
                },
                role,
                group,
            });
        }
    }
    out
}

/// A query: its text for armtrace, and its SQL condition for each baseline.
struct Query {
    text: String,
    sqlite: Option<String>,
    pg: Option<String>,
}

fn sql_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Digit positions (character indexes) in a raw serial.
fn digit_positions(raw: &str) -> Vec<usize> {
    raw.chars()
        .enumerate()
        .filter(|(_, c)| c.is_ascii_digit())
        .map(|(i, _)| i)
        .collect()
}

fn replace_at(raw: &str, at: usize, with: char) -> String {
    raw.chars()
        .enumerate()
        .map(|(i, c)| if i == at { with } else { c })
        .collect()
}

/// The GLOB (`?`) or LIKE (`_`) form of a wildcard pattern's tokens.
fn sql_wildcard(tokens: &[Token], one: char, run: char) -> String {
    tokens
        .iter()
        .map(|t| match t {
            Token::Char(c) | Token::Uncertain(c) => *c,
            Token::One => one,
            Token::Run => run,
        })
        .collect()
}

struct QuerySets {
    exact: Vec<Query>,
    confusable: Vec<Query>,
    wildcard: Vec<Query>,
    edits: Vec<Query>,
    fragment: Vec<Query>,
    range: Vec<Query>,
}

fn queries(entries: &[Entry]) -> QuerySets {
    let mut rng = Rng(0xbead);
    let pick = |rng: &mut Rng| {
        entries[rng.below(entries.len() as u64) as usize]
            .raw
            .clone()
    };
    let eq = |key: &str| {
        let c = format!("key = {}", sql_str(key));
        (Some(c.clone()), Some(c))
    };
    let mut sets = QuerySets {
        exact: Vec::new(),
        confusable: Vec::new(),
        wildcard: Vec::new(),
        edits: Vec::new(),
        fragment: Vec::new(),
        range: Vec::new(),
    };
    for _ in 0..QUERIES {
        let raw = pick(&mut rng);
        let (sqlite, pg) = eq(&match_key(&raw));
        sets.exact.push(Query {
            text: raw.clone(),
            sqlite,
            pg,
        });

        let raw = pick(&mut rng);
        let digits = digit_positions(&raw);
        let swaps: Vec<(usize, char)> = digits
            .iter()
            .filter_map(|&i| {
                let c = raw.chars().nth(i)?;
                let l = match c {
                    '0' => 'O',
                    '1' => 'I',
                    '5' => 'S',
                    '8' => 'B',
                    '2' => 'Z',
                    '6' => 'G',
                    _ => return None,
                };
                Some((i, l))
            })
            .collect();
        let text = match swaps.get(rng.below(swaps.len().max(1) as u64) as usize) {
            Some(&(i, l)) => replace_at(&raw, i, l),
            None => raw.clone(),
        };
        let (sqlite, pg) = eq(&match_key(&text));
        sets.confusable.push(Query { text, sqlite, pg });

        let raw = pick(&mut rng);
        let digits = digit_positions(&raw);
        let at = digits[rng.below(digits.len() as u64) as usize];
        let text = replace_at(&raw, at, '?');
        let (sqlite, pg) = match Pattern::parse(&text, None) {
            Ok(Pattern::Serial(p)) => (
                Some(format!(
                    "key GLOB {}",
                    sql_str(&sql_wildcard(p.tokens(), '?', '*'))
                )),
                Some(format!(
                    "key LIKE {}",
                    sql_str(&sql_wildcard(p.tokens(), '_', '%'))
                )),
            ),
            _ => (None, None),
        };
        sets.wildcard.push(Query { text, sqlite, pg });

        let raw = pick(&mut rng);
        let digits = digit_positions(&raw);
        let mut text = raw.clone();
        for _ in 0..2 {
            let at = digits[rng.below(digits.len() as u64) as usize];
            let d = char::from(b'0' + rng.below(10) as u8);
            text = replace_at(&text, at, d);
        }
        let key = match_key(&text);
        sets.edits.push(Query {
            sqlite: None,
            pg: Some(format!(
                "levenshtein_less_equal(key, {0}, 2) <= 2",
                sql_str(&key)
            )),
            text,
        });

        let key = match_key(&pick(&mut rng));
        let chars: Vec<char> = key.chars().collect();
        let frag: String = chars[chars.len() - 5..].iter().collect();
        sets.fragment.push(Query {
            text: format!("*{frag}*"),
            sqlite: Some(format!("key GLOB {}", sql_str(&format!("*{frag}*")))),
            pg: Some(format!("key LIKE {}", sql_str(&format!("%{frag}%")))),
        });

        let raw = pick(&mut rng);
        let head: String = raw.chars().take(raw.chars().count() - 2).collect();
        let key = match_key(&head);
        sets.range.push(Query {
            text: format!("{head}00..{head}99"),
            sqlite: Some(format!(
                "key BETWEEN {} AND {} AND length(key) = {}",
                sql_str(&format!("{key}00")),
                sql_str(&format!("{key}99")),
                key.len() + 2
            )),
            pg: Some(format!(
                "key BETWEEN {} AND {} AND length(key) = {}",
                sql_str(&format!("{key}00")),
                sql_str(&format!("{key}99")),
                key.len() + 2
            )),
        });
    }
    // The trigram similarity baseline for edits, on its own line.
    sets
}

fn micros(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e6;
    (at(0.5), at(0.95))
}

fn show(v: Vec<f64>) -> String {
    if v.is_empty() {
        return "no figures".into();
    }
    let mut v = v;
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    format!(
        "p50 {} p95 {} ({} queries)",
        us(at(0.5)),
        us(at(0.95)),
        v.len()
    )
}

/// Microseconds, in µs or ms.
fn us(x: f64) -> String {
    if x >= 1000.0 {
        format!("{:.2} ms", x / 1000.0)
    } else {
        format!("{x:.1} µs")
    }
}

/// A benchmark row: name, queries, edits (3: two with transpositions), filter, limit, target.
type Row<'a> = (&'a str, &'a [Query], u8, &'a Filter, Option<usize>, &'a str);

/// Times each query in armtrace (parse and search); returns p50/p95 in µs and matches found.
fn time_armtrace(
    index: &SerialIndex,
    qs: &[Query],
    edits: u8,
    filter: &Filter,
    limit: Option<usize>,
) -> (f64, f64, usize) {
    let opts = SearchOptions {
        max_edits: edits.min(2),
        // 3 stands for 2 edits with transpositions.
        transpositions: edits == 3,
        limit,
    };
    let mut times = Vec::with_capacity(qs.len());
    let mut found = 0;
    for q in qs {
        let t = Instant::now();
        let m = Pattern::parse(&q.text, None)
            .ok()
            .and_then(|p| index.search(&p, &opts, filter).ok())
            .map_or(0, |m| m.total);
        times.push(t.elapsed());
        found += m;
    }
    let (p50, p95) = micros(times);
    (p50, p95, found)
}

/// Like [`time_armtrace`], but each query's time is the best of `BEST_OF` runs (interleaved
/// passes over the set), which leaves out the milliseconds other processes take on a shared
/// machine.
fn time_armtrace_best(
    index: &SerialIndex,
    qs: &[Query],
    edits: u8,
    filter: &Filter,
    limit: Option<usize>,
) -> (f64, f64) {
    let opts = SearchOptions {
        max_edits: edits.min(2),
        transpositions: edits == 3,
        limit,
    };
    let mut best = vec![Duration::MAX; qs.len()];
    for _ in 0..BEST_OF {
        for (q, b) in qs.iter().zip(&mut best) {
            let t = Instant::now();
            let _ = Pattern::parse(&q.text, None)
                .ok()
                .and_then(|p| index.search(&p, &opts, filter).ok());
            *b = (*b).min(t.elapsed());
        }
    }
    micros(best)
}

/// Runs a script in a command reading stdin, returning its stdout.
fn run_script(cmd: &mut Command, script: &str) -> anyhow::Result<String> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(script.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    anyhow::ensure!(
        out.status.success(),
        "{:?} failed: {}",
        cmd.get_program(),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// p50/p95 of figures at 1 ms resolution: "<1 ms" where they round to zero.
fn show_ms(v: Vec<f64>) -> String {
    show(v)
        .replace("p50 0.0 µs", "p50 <1 ms")
        .replace("p95 0.0 µs", "p95 <1 ms")
}

/// The sqlite3 shell's `.timer` figures (seconds, 1 ms resolution) in µs, one per statement.
fn sqlite_times(out: &str) -> Vec<f64> {
    out.lines()
        .filter_map(|l| l.strip_prefix("Run Time: real "))
        .filter_map(|l| l.split_whitespace().next()?.parse::<f64>().ok())
        .map(|s| s * 1e6)
        .collect()
}

/// psql's `\timing` figures in µs.
fn psql_times(out: &str) -> Vec<f64> {
    out.lines()
        .filter_map(|l| l.strip_prefix("Time: "))
        .filter_map(|l| l.split_whitespace().next()?.parse::<f64>().ok())
        .map(|ms| ms * 1e3)
        .collect()
}

fn sqlite_baseline(
    dir: &std::path::Path,
    csv: &std::path::Path,
    sets: &QuerySets,
) -> anyhow::Result<Vec<(String, String)>> {
    let db = dir.join("baseline_serials.db");
    let _ = std::fs::remove_file(&db);
    let mut out = Vec::new();
    let t = Instant::now();
    run_script(
        Command::new("sqlite3").arg(&db),
        &format!(
            "CREATE TABLE serials (key TEXT, raw TEXT, ctx INTEGER, record INTEGER);\n.mode csv\n.import {} serials\nCREATE INDEX serials_key ON serials(key);\n",
            csv.display()
        ),
    )?;
    out.push((
        "load (.import) and B-tree index on key".into(),
        format!("{:.1} s", secs(t.elapsed())),
    ));
    let mut run = |name: &str, qs: &[Query], max: usize| -> anyhow::Result<()> {
        let mut script = String::from(".timer on\n");
        let mut n = 0;
        for q in qs.iter().filter_map(|q| q.sqlite.as_ref()).take(max) {
            script.push_str(&format!("SELECT count(*) FROM serials WHERE {q};\n"));
            n += 1;
        }
        if n == 0 {
            out.push((name.into(), "no equivalent".into()));
            return Ok(());
        }
        let t = Instant::now();
        let text = run_script(Command::new("sqlite3").arg(&db), &script)?;
        let wall = t.elapsed().as_secs_f64() * 1e6 / n as f64;
        out.push((
            name.into(),
            format!(
                "{} (.timer, 1 ms resolution); mean {} per query (the script's wall time)",
                show_ms(sqlite_times(&text)),
                us(wall)
            ),
        ));
        Ok(())
    };
    run("exact (key =, B-tree)", &sets.exact, QUERIES)?;
    run(
        "confusable (key =, B-tree, normalised for it)",
        &sets.confusable,
        QUERIES,
    )?;
    run("one ? (GLOB, B-tree prefix)", &sets.wildcard, QUERIES)?;
    run("2 edits", &sets.edits, 0)?;
    run("5-char fragment (GLOB '*…*', scan)", &sets.fragment, 20)?;
    run("range (BETWEEN, B-tree)", &sets.range, QUERIES)?;
    let _ = std::fs::remove_file(&db);
    Ok(out)
}

fn pg_baseline(
    url: &str,
    csv: &std::path::Path,
    sets: &QuerySets,
) -> anyhow::Result<Vec<(String, String)>> {
    let schema = format!("bench_serial_{}", std::process::id());
    let psql = || {
        let mut c = Command::new("psql");
        c.arg(url).args(["-X", "-q", "-v", "ON_ERROR_STOP=1"]);
        c
    };
    let mut out = Vec::new();
    let setup = format!(
        "CREATE EXTENSION IF NOT EXISTS pg_trgm;\nCREATE EXTENSION IF NOT EXISTS fuzzystrmatch;\nCREATE SCHEMA {schema};\nSET search_path TO {schema}, public;\nCREATE TABLE serials (key TEXT, raw TEXT, ctx INTEGER, record BIGINT);\n\\copy serials FROM '{}' WITH (FORMAT csv)\n",
        csv.display()
    );
    let t = Instant::now();
    run_script(&mut psql(), &setup)?;
    let load = t.elapsed();
    let t = Instant::now();
    let result = (|| -> anyhow::Result<()> {
        run_script(
            &mut psql(),
            &format!(
                "SET search_path TO {schema}, public;\nSET maintenance_work_mem = '1GB';\nCREATE INDEX serials_trgm ON serials USING gin (key gin_trgm_ops);\nANALYZE serials;\n"
            ),
        )?;
        out.push((
            "load (\\copy), GIN pg_trgm index".into(),
            format!("{:.1} s + {:.1} s", secs(load), secs(t.elapsed())),
        ));
        let mut run = |name: &str, conds: Vec<String>| -> anyhow::Result<()> {
            let mut script = format!("SET search_path TO {schema}, public;\n\\timing on\n");
            for c in &conds {
                script.push_str(&format!("SELECT count(*) FROM serials WHERE {c};\n"));
            }
            let text = run_script(&mut psql(), &script)?;
            out.push((name.into(), show(psql_times(&text))));
            Ok(())
        };
        let conds = |qs: &[Query], max: usize| -> Vec<String> {
            qs.iter().filter_map(|q| q.pg.clone()).take(max).collect()
        };
        run("exact (key =, GIN trigram)", conds(&sets.exact, 200))?;
        run(
            "confusable (key =, GIN trigram, normalised for it)",
            conds(&sets.confusable, 200),
        )?;
        run("one ? (LIKE '_', GIN trigram)", conds(&sets.wildcard, 200))?;
        run(
            "2 edits (trigram similarity key % q, GIN; not the same matches)",
            sets.edits
                .iter()
                .take(20)
                .map(|q| format!("key % {}", sql_str(&match_key(&q.text))))
                .collect(),
        )?;
        run(
            "2 edits (levenshtein_less_equal, scan)",
            conds(&sets.edits, 3),
        )?;
        run(
            "5-char fragment (LIKE '%…%', GIN trigram)",
            conds(&sets.fragment, 200),
        )?;
        run(
            "range (BETWEEN, no B-tree: GIN only)",
            conds(&sets.range, 20),
        )?;
        Ok(())
    })();
    let _ = run_script(&mut psql(), &format!("DROP SCHEMA {schema} CASCADE;\n"));
    result?;
    Ok(out)
}

/// The Levenshtein automata alone (no matches built) over an fst set of the distinct keys:
/// `levenshtein_automata`'s DFA, with and without transpositions, against fst's own
/// `Levenshtein` (which builds its DFA by subset construction, up to 10 000 states).
fn automata(entries: &[Entry], qs: &[Query]) {
    let mut keys: Vec<String> = entries.iter().map(|e| match_key(&e.raw)).collect();
    keys.sort_unstable();
    keys.dedup();
    let Ok(set) = fst::Set::from_iter(keys) else {
        return;
    };
    println!("  edit distance 2 automata alone over an fst of the distinct keys (build + stream):");
    for (name, transpositions) in [
        ("levenshtein_automata", false),
        ("levenshtein_automata + transpositions", true),
    ] {
        let builder = levenshtein_automata::LevenshteinAutomatonBuilder::new(2, transpositions);
        let mut times = Vec::new();
        let mut found = 0;
        for q in qs {
            let t = Instant::now();
            let dfa = builder.build_dfa(&match_key(&q.text));
            found += set.search(&dfa).into_stream().into_bytes().len();
            times.push(t.elapsed());
        }
        let (p50, p95) = micros(times);
        println!(
            "    {name:<40} p50 {:>10} p95 {:>10}  {found} keys",
            us(p50),
            us(p95)
        );
    }
    let mut times = Vec::new();
    let (mut found, mut refused) = (0, 0);
    for q in qs {
        let t = Instant::now();
        match fst::automaton::Levenshtein::new(&match_key(&q.text), 2) {
            Ok(lev) => found += set.search(&lev).into_stream().into_bytes().len(),
            Err(_) => refused += 1,
        }
        times.push(t.elapsed());
    }
    let (p50, p95) = micros(times);
    println!(
        "    {:<40} p50 {:>10} p95 {:>10}  {found} keys, {refused} queries refused (too many states)",
        "fst::automaton::Levenshtein",
        us(p50),
        us(p95)
    );
}

pub fn run(n: usize) -> anyhow::Result<()> {
    let t = Instant::now();
    let entries = generate(n);
    println!(
        "SYNTHETIC serials: {n} in 48 contexts (2-3 letter prefixes, year codes in half, 6-8 digits, lots of 100-10 000 consecutive numbers; 1% read with O for 0), generated in {:.1} s",
        secs(t.elapsed())
    );
    let t = Instant::now();
    let mut index = SerialIndex::build(entries.iter().cloned());
    let build = t.elapsed();
    let mem = index.memory();
    let per = |b: usize| b as f64 / n as f64;
    println!(
        "  build: {:.2} s ({:.2} µs per serial); index memory {:.1} MB = {:.1} bytes per serial (heap capacities summed: fst {:.1}, columns {:.1}, 4-grams {:.1}, tables {:.2})",
        secs(build),
        build.as_secs_f64() * 1e6 / n as f64,
        mem.total() as f64 / 1e6,
        per(mem.total()),
        per(mem.fst),
        per(mem.columns),
        per(mem.grams),
        per(mem.tables),
    );
    let tmp = tempfile::tempdir()?;
    let file = tmp.path().join("serials.idx");
    let t = Instant::now();
    index.save_to_path(&file)?;
    let save = t.elapsed();
    let size = std::fs::metadata(&file)?.len();
    let t = Instant::now();
    let loaded = SerialIndex::load_from_path(&file)?;
    let load = t.elapsed();
    println!(
        "  save {:.2} s, file {:.1} MB ({:.1} bytes per serial); load (checksum and every table checked) {:.2} s",
        secs(save),
        size as f64 / 1e6,
        size as f64 / n as f64,
        secs(load)
    );
    drop(loaded);

    let sets = queries(&entries);
    let reader = Filter::new(Groups::public_and([1, 2, 3]));
    let all = Filter::new(Groups::All);
    let mut model = Filter::new(Groups::All);
    model.model = Some(7);
    let rows: [Row<'_>; 11] = [
        ("exact", &sets.exact, 0, &all, None, "target p95 < 5 µs"),
        (
            "confusable",
            &sets.confusable,
            0,
            &all,
            None,
            "target p95 < 5 µs",
        ),
        ("exact, reader's groups", &sets.exact, 0, &reader, None, ""),
        ("one ?", &sets.wildcard, 0, &all, None, "target < 50 µs"),
        ("2 edits", &sets.edits, 2, &all, None, "target < 10 ms"),
        ("2 edits, top 50", &sets.edits, 2, &all, Some(50), ""),
        ("2 edits, one model", &sets.edits, 2, &model, None, ""),
        ("2 edits + transpositions", &sets.edits, 3, &all, None, ""),
        (
            "5-char fragment",
            &sets.fragment,
            0,
            &all,
            None,
            "target < 1 ms",
        ),
        (
            "5-char fragment, top 50",
            &sets.fragment,
            0,
            &all,
            Some(50),
            "",
        ),
        ("range of 100", &sets.range, 0, &all, None, ""),
    ];
    println!(
        "  armtrace queries (parse + search, {QUERIES} each; every match written out unless a top N is asked; matches in all):"
    );
    println!(
        "    {:<26} {:>10} {:>10}   {:>10} {:>10}",
        "", "p50", "p95", "best-of-3 p50", "p95"
    );
    for (name, qs, edits, filter, limit, target) in rows {
        let (p50, p95, found) = time_armtrace(&index, qs, edits, filter, limit);
        let (b50, b95) = time_armtrace_best(&index, qs, edits, filter, limit);
        println!(
            "    {name:<26} {:>10} {:>10}   {:>10} {:>10}  {found} matches  {target}",
            us(p50),
            us(p95),
            us(b50),
            us(b95)
        );
    }

    automata(&entries, &sets.edits);

    // Adding 10k serials to the built index (into the additions; no merge at this size).
    let fresh: Vec<Entry> = generate(n + 10_000).split_off(n);
    let t = Instant::now();
    for mut e in fresh {
        e.record.id += n as u64;
        index.add(e);
    }
    let add = t.elapsed();
    let (_, p95, _) = time_armtrace(&index, &sets.exact, 0, &all, None);
    let (_, wp95, _) = time_armtrace(&index, &sets.wildcard, 0, &all, None);
    let t = Instant::now();
    index.merge();
    println!(
        "  add 10k serials to the built index: {:.1} ms ({:.1} µs each); then exact p95 {}, one ? p95 {}; merging them into a new base: {:.2} s",
        add.as_secs_f64() * 1e3,
        add.as_secs_f64() * 1e6 / 10_000.0,
        us(p95),
        us(wp95),
        secs(t.elapsed())
    );

    if std::env::var("ARMTRACE_BENCH_SERIAL_ONLY").is_ok() {
        println!("  baselines skipped (ARMTRACE_BENCH_SERIAL_ONLY)");
        return Ok(());
    }
    // Baselines: the same serials, by match key.
    let csv = tmp.path().join("synthetic_serials.csv");
    {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&csv)?);
        for e in &entries {
            writeln!(
                w,
                "{},{},{},{}",
                match_key(&e.raw),
                e.raw,
                e.context.id,
                e.record.id
            )?;
        }
        w.flush()?;
    }
    drop(entries);
    drop(index);
    println!("  baseline sqlite3 shell (same serials, key = match key):");
    for (name, figure) in sqlite_baseline(tmp.path(), &csv, &sets)? {
        println!("    {name:<48} {figure}");
    }
    let url = std::env::var("ARMTRACE_TEST_PG")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into());
    let answers = Command::new("psql")
        .arg(&url)
        .args(["-X", "-q", "-c", "SELECT 1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if answers {
        println!(
            "  baseline PostgreSQL (same serials, key = match key; psql \\timing, includes the round trip):"
        );
        for (name, figure) in pg_baseline(&url, &csv, &sets)? {
            println!("    {name:<48} {figure}");
        }
    } else {
        println!("  baseline PostgreSQL: skipped, nothing answers at {url}");
    }
    Ok(())
}
