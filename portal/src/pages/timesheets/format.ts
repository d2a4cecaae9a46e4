// Durations and distances for people: "7 h 45 min", "12.4 km" or "7.7 mi" (the owner's choice, kept in this
// browser), numbers in the browser's locale.

export type Units = "metric" | "imperial";

const METRES_PER_MILE = 1609.344;

export function unitsPreference(): Units {
  const saved = typeof localStorage === "undefined" ? null : localStorage.getItem("industrack.units");
  if (saved === "metric" || saved === "imperial") return saved;
  const region = typeof navigator === "undefined" ? "" : (new Intl.Locale(navigator.language).maximize().region ?? "");
  return ["US", "GB", "LR", "MM"].includes(region) ? "imperial" : "metric";
}

export function durationText(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

export function distanceText(metres: number, units: Units, locale?: string): string {
  const number = (value: number, digits: number): string =>
    value.toLocaleString(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  if (units === "imperial") {
    const miles = metres / METRES_PER_MILE;
    return miles < 0.1 ? `${number(metres * 3.28084, 0)} ft` : `${number(miles, 1)} mi`;
  }
  return metres < 1000 ? `${number(metres, 0)} m` : `${number(metres / 1000, 1)} km`;
}
