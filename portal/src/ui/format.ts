// Dates, times, numbers and distances in the reader's own locale (pure: the locale is the browser's unless one is
// passed, which the unit tests do). Times are shown in a given IANA time zone when there is one (a member's own),
// else in the browser's.

export type Units = "metric" | "imperial";
type Locales = string | readonly string[] | undefined;

const METERS_PER_MILE = 1609.344;
const FEET_PER_METER = 3.28084;
/** Where distances are read in miles and feet by default (the owner may choose otherwise). */
const IMPERIAL_REGIONS = new Set(["US", "LR", "MM", "GB"]);

/** The browser's preferred languages (navigator.languages), or undefined (then Intl uses the runtime's default). */
export function browserLocales(): readonly string[] | undefined {
  return typeof navigator !== "undefined" && navigator.languages?.length ? navigator.languages : undefined;
}

function pick(locale: Locales): Locales {
  return locale ?? browserLocales();
}

function date(iso: string | Date): Date {
  return iso instanceof Date ? iso : new Date(iso);
}

/** "8 Dec 2026, 15:44" (en-GB), "Dec 8, 2026, 3:44 PM" (en-US): date and time of day. */
export function dateTimeText(iso: string | Date, timeZone?: string, locale?: Locales): string {
  return new Intl.DateTimeFormat(pick(locale), { timeZone, dateStyle: "medium", timeStyle: "short" }).format(date(iso));
}

/** "8 December 2026": the date alone. */
export function dateText(iso: string | Date, timeZone?: string, locale?: Locales): string {
  return new Intl.DateTimeFormat(pick(locale), { timeZone, dateStyle: "long" }).format(date(iso));
}

/** "15:44" or "3:44 PM": the time of day alone. */
export function clockText(iso: string | Date, timeZone?: string, locale?: Locales): string {
  return new Intl.DateTimeFormat(pick(locale), { timeZone, timeStyle: "short" }).format(date(iso));
}

/** "1,234.5" or "1.234,5". */
export function numberText(n: number, locale?: Locales, maximumFractionDigits = 1): string {
  return new Intl.NumberFormat(pick(locale), { maximumFractionDigits }).format(n);
}

/** A price: "$49.00", "49,00 €" (amount in the currency's minor unit, e.g. cents, as Stripe sends it). */
export function moneyText(minorUnits: number, currency: string, locale?: Locales): string {
  const f = new Intl.NumberFormat(pick(locale), { style: "currency", currency: currency.toUpperCase() });
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(minorUnits / 10 ** digits);
}

/** The default units for a locale: imperial where miles are the road measure (United States, United Kingdom ...). */
export function defaultUnits(locale?: Locales): Units {
  const tag = new Intl.NumberFormat(pick(locale)).resolvedOptions().locale;
  let region: string | undefined;
  try {
    region = new Intl.Locale(tag).maximize().region;
  } catch {
    region = undefined;
  }
  return region && IMPERIAL_REGIONS.has(region) ? "imperial" : "metric";
}

/** "850 m", "12.3 km"; imperial: "420 ft", "7.6 mi" (short distances in feet below a tenth of a mile). */
export function distanceText(meters: number, units: Units, locale?: Locales): string {
  const unit = (value: number, name: "meter" | "kilometer" | "foot" | "mile", digits: number): string =>
    new Intl.NumberFormat(pick(locale), {
      style: "unit",
      unit: name,
      unitDisplay: "short",
      maximumFractionDigits: digits,
    }).format(value);
  if (units === "imperial") {
    const miles = meters / METERS_PER_MILE;
    return miles < 0.1 ? unit(Math.round(meters * FEET_PER_METER), "foot", 0) : unit(miles, "mile", miles < 10 ? 1 : 0);
  }
  return meters < 1000
    ? unit(Math.round(meters), "meter", 0)
    : unit(meters / 1000, "kilometer", meters < 10_000 ? 1 : 0);
}
