//! Reading a spreadsheet an import comes from: CSV (UTF-8, with or without a byte-order mark)
//! or the first worksheet of an XLSX workbook, as a header row and rows of text cells. What the
//! columns mean is the import's business (`workflow::imports`); this only turns bytes into text
//! the way a person reading the sheet would: whole numbers without ".0", dates as YYYY-MM-DD.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

/// Rows a sheet may hold (an import is a book of at most this many records at a time).
pub const MAX_ROWS: usize = 1_000_000;
/// Characters a cell may hold.
pub const MAX_CELL: usize = 2_000;
/// Columns a sheet may have (an import has at most a few dozen).
pub const MAX_COLUMNS: usize = 256;

/// The file's format, from its name or content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// By the file's extension.
    pub fn of_path(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    /// By content, for an upload: an XLSX file is a ZIP archive.
    pub fn sniff(bytes: &[u8]) -> Format {
        if bytes.starts_with(b"PK\x03\x04") {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }
}

/// A sheet: its header cells (trimmed) and its rows, each as long as the header.
#[derive(Debug, Default, Clone)]
pub struct Sheet {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Sheet {
    /// The spreadsheet row number of `rows[i]` (the header is row 1).
    pub fn row_number(i: usize) -> usize {
        i + 2
    }
}

/// Reads `bytes` as `format`. Wholly blank rows are dropped (a sheet's trailing rows often are).
pub fn read(bytes: &[u8], format: Format) -> Result<Sheet, String> {
    let mut all = match format {
        Format::Csv => read_csv(bytes)?,
        Format::Xlsx => read_xlsx(bytes)?,
    };
    all.retain(|r| r.iter().any(|c| !c.trim().is_empty()));
    if all.is_empty() {
        return Err("the file has no header row".into());
    }
    let headers: Vec<String> = all.remove(0).iter().map(|h| h.trim().to_string()).collect();
    if all.len() > MAX_ROWS {
        return Err(format!(
            "the file has {} rows: at most {MAX_ROWS} at a time",
            all.len()
        ));
    }
    let width = headers.len();
    for (i, row) in all.iter_mut().enumerate() {
        if row.len() > width && row[width..].iter().any(|c| !c.trim().is_empty()) {
            return Err(format!(
                "row {} has more cells than the header names",
                Sheet::row_number(i)
            ));
        }
        row.resize(width, String::new());
        if let Some(long) = row.iter().position(|c| c.chars().count() > MAX_CELL) {
            return Err(format!(
                "row {}, column '{}': a cell holds at most {MAX_CELL} characters",
                Sheet::row_number(i),
                headers[long]
            ));
        }
    }
    Ok(Sheet { headers, rows: all })
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| match e.kind() {
            csv::ErrorKind::Utf8 { .. } => {
                format!("line {}: not UTF-8 (save the file as CSV UTF-8)", i + 1)
            }
            _ => format!("line {}: {e}", i + 1),
        })?;
        if record.len() > MAX_COLUMNS {
            return Err(format!(
                "line {}: a sheet has at most {MAX_COLUMNS} columns",
                i + 1
            ));
        }
        rows.push(record.iter().map(str::to_string).collect());
        if rows.len() > MAX_ROWS + 1 {
            break;
        }
    }
    Ok(rows)
}

/// What a workbook may unpack to: a bomb (a few KiB that inflate to gigabytes) is refused by
/// its directory before anything is inflated.
pub const MAX_UNPACKED: u64 = 512 << 20;

fn check_unpacked(bytes: &[u8]) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("not a readable XLSX workbook: {e}"))?;
    if zip.len() > 10_000 {
        return Err("the workbook holds too many parts".into());
    }
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let part = zip
            .by_index_raw(i)
            .map_err(|e| format!("not a readable XLSX workbook: {e}"))?;
        total = total.saturating_add(part.size());
    }
    if total > MAX_UNPACKED {
        return Err(format!(
            "the workbook unpacks to {} MiB: at most {} MiB",
            total >> 20,
            MAX_UNPACKED >> 20
        ));
    }
    Ok(())
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    check_unpacked(bytes)?;
    let mut book: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| format!("not a readable XLSX workbook: {e}"))?;
    let first = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or("the workbook has no worksheet")?;
    // Cell by cell, never as one grid: a grid spans the top-left to the bottom-right cell, so
    // two cells far apart (A1 and XFD1048576) in a file of 2 KiB would ask for gigabytes.
    let mut cells = book
        .worksheet_cells_reader(&first)
        .map_err(|e| format!("worksheet '{first}': {e}"))?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    while let Some(cell) = cells
        .next_cell()
        .map_err(|e| format!("worksheet '{first}': {e}"))?
    {
        let (r, col) = cell.get_position();
        let (r, col) = (r as usize, col as usize);
        if r > MAX_ROWS {
            return Err(format!("the file has more than {MAX_ROWS} rows"));
        }
        if col >= MAX_COLUMNS {
            return Err(format!(
                "row {}: a sheet has at most {MAX_COLUMNS} columns",
                r + 1
            ));
        }
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        if rows.len() <= r {
            rows.resize_with(r + 1, Vec::new);
        }
        let row = &mut rows[r];
        if row.len() <= col {
            row.resize(col + 1, String::new());
        }
        row[col] = text;
    }
    Ok(rows)
}

/// A cell as a person reads it.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Spreadsheets keep numbers as doubles: a whole one is written without ".0", another
        // with the shortest digits that read back the same (1234.5, not 1234.4999999).
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => format!("{f}"),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.date().to_string(),
            Some(t) => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => d.as_f64().to_string(),
        },
        Data::Error(e) => format!("#{e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_a_byte_order_mark_reads_its_first_header() {
        let sheet = read(
            "\u{feff}姓名,证件号码\n张三,110\n\n".as_bytes(),
            Format::Csv,
        )
        .unwrap();
        assert_eq!(sheet.headers, ["姓名", "证件号码"]);
        assert_eq!(sheet.rows, [["张三", "110"]]);
    }

    #[test]
    fn short_rows_are_padded_and_long_ones_refused() {
        let sheet = read(b"a,b,c\n1\n", Format::Csv).unwrap();
        assert_eq!(sheet.rows, [["1", "", ""]]);
        let err = read(b"a,b\n1,2,3\n", Format::Csv).unwrap_err();
        assert!(err.contains("row 2"), "{err}");
    }

    #[test]
    fn text_that_is_not_utf8_is_named() {
        // "张三" in GBK, as Excel saves a "CSV" on a Chinese system.
        let err = read(b"name\n\xd5\xc5\xc8\xfd\n", Format::Csv).unwrap_err();
        assert!(err.contains("UTF-8"), "{err}");
    }

    #[test]
    fn xlsx_cells_read_as_a_person_reads_them() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        ws.write_string(0, 0, "金额").unwrap();
        ws.write_string(0, 1, "日期").unwrap();
        ws.write_string(0, 2, "证件号码").unwrap();
        ws.write_number(1, 0, 1_000_000.0).unwrap();
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 3, 1).unwrap();
        let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        ws.write_datetime_with_format(1, 1, &date, &fmt).unwrap();
        ws.write_string(1, 2, "11010519491231002X").unwrap();
        ws.write_number(2, 0, 1234.5).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        assert_eq!(Format::sniff(&bytes), Format::Xlsx);
        let sheet = read(&bytes, Format::Xlsx).unwrap();
        assert_eq!(sheet.headers, ["金额", "日期", "证件号码"]);
        assert_eq!(
            sheet.rows[0],
            ["1000000", "2024-03-01", "11010519491231002X"]
        );
        assert_eq!(sheet.rows[1][0], "1234.5");
    }

    #[test]
    fn a_workbook_that_unpacks_too_far_is_refused_before_it_is_read() {
        use std::io::Write;
        let mut out = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..600 {
            zip.write_all(&zeros).unwrap();
        }
        zip.finish().unwrap();
        let bytes = out.into_inner();
        assert!(bytes.len() < 4 << 20, "{}", bytes.len());
        let err = read(&bytes, Format::Xlsx).unwrap_err();
        assert!(err.contains("unpacks to 600 MiB"), "{err}");
    }

    #[test]
    fn cells_far_apart_are_refused_without_a_grid_between_them() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        ws.write_string(0, 0, "姓名").unwrap();
        ws.write_string(1_048_575, 16_383, "x").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let err = read(&bytes, Format::Xlsx).unwrap_err();
        assert!(
            err.contains("more than") || err.contains("columns"),
            "{err}"
        );
        let wide = format!("{}\n", ",".repeat(MAX_COLUMNS));
        assert!(
            read(wide.as_bytes(), Format::Csv)
                .unwrap_err()
                .contains("columns")
        );
    }

    #[test]
    fn garbage_is_not_a_workbook() {
        assert!(read(b"PK\x03\x04garbage", Format::Xlsx).is_err());
        assert!(read(b"", Format::Csv).is_err());
    }
}
