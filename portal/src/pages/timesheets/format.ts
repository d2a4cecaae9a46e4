// Durations for people: "7 h 45 min". Distances are written by ui/format.ts in the account's units (`me.units`,
// chosen by the Account Owner for everyone in the account).

export function durationText(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}
