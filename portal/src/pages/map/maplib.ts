// The map: MapLibre GL JS, loaded on demand (its own chunk) so pages without a map never download it. The base
// style comes from config.json; without one (as in the tests, which have no tile server) a blank style is used.

import type { Map as MlMap, GeoJSONSource, LngLatBoundsLike, Marker, StyleSpecification } from "maplibre-gl";
import { config } from "../../config";
import { h } from "../../ui/dom";

const LABEL_LIMIT = 100; // name labels (DOM markers) up to this many points; beyond, circles only

const BLANK: StyleSpecification = {
  version: 8,
  sources: {},
  layers: [{ id: "background", type: "background", paint: { "background-color": "#e9eef2" } }],
};

export interface Point { id: string; lon: number; lat: number; accuracy?: number; label?: string; stale?: boolean }

export interface PortalMap {
  map: MlMap;
  setPoints(points: Point[]): Promise<void>;
  setTrack(coords: number[][], stops: number[][]): Promise<void>;
  setCursor(coord: number[] | null): void;
  fit(coords: number[][]): void;
  remove(): void;
}

function circle(lon: number, lat: number, metres: number, steps = 24): number[][] {
  const out: number[][] = [];
  const dLat = metres / 111_320;
  const dLon = metres / (111_320 * Math.max(0.01, Math.cos((lat * Math.PI) / 180)));
  for (let i = 0; i <= steps; i++) {
    const a = (i / steps) * 2 * Math.PI;
    out.push([lon + dLon * Math.cos(a), lat + dLat * Math.sin(a)]);
  }
  return out;
}

const empty = (): { type: "FeatureCollection"; features: never[] } => ({ type: "FeatureCollection", features: [] });

export async function createMap(container: HTMLElement, label: string): Promise<PortalMap> {
  const [maplibregl, worker] = await Promise.all([import("maplibre-gl"),
    import("maplibre-gl/dist/maplibre-gl-worker.mjs?url"), import("maplibre-gl/dist/maplibre-gl.css")]);
  maplibregl.setWorkerUrl(worker.default); // the worker ships as its own file; the bundle would lose its URL
  const style = config().map.style ?? BLANK;
  const map = new maplibregl.Map({ container, style, center: [0, 20], zoom: 1, attributionControl: false, fadeDuration: 0 });
  map.getCanvas().setAttribute("aria-label", label);
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  await new Promise<void>((resolve) => map.once("load", () => resolve()));
  map.addSource("accuracy", { type: "geojson", data: empty() });
  map.addSource("points", { type: "geojson", data: empty() });
  map.addSource("track", { type: "geojson", data: empty() });
  map.addSource("stops", { type: "geojson", data: empty() });
  map.addSource("cursor", { type: "geojson", data: empty() });
  map.addLayer({ id: "accuracy", type: "fill", source: "accuracy", paint: { "fill-color": "#1b5e9a", "fill-opacity": 0.15 } });
  map.addLayer({ id: "track", type: "line", source: "track", paint: { "line-color": "#1b5e9a", "line-width": 3 } });
  map.addLayer({ id: "stops", type: "circle", source: "stops", paint: { "circle-radius": 8, "circle-color": "#b3541e", "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
  map.addLayer({ id: "points", type: "circle", source: "points", paint: {
    "circle-radius": 6, "circle-stroke-color": "#fff", "circle-stroke-width": 2,
    "circle-color": ["case", ["get", "stale"], "#6b7280", "#1b5e9a"] } });
  map.addLayer({ id: "cursor", type: "circle", source: "cursor", paint: { "circle-radius": 7, "circle-color": "#0f7b3f" } });

  const rendered = (what: string, count: number): Promise<void> => new Promise((resolve) => {
    map.once("idle", () => { container.dataset[what] = String(count); resolve(); });
    map.triggerRepaint();
  });
  const source = (id: string): GeoJSONSource => map.getSource(id) as GeoJSONSource;
  let labels: Marker[] = [];

  return {
    map,
    async setPoints(points) {
      source("points").setData({ type: "FeatureCollection", features: points.map((p) => ({ type: "Feature",
        geometry: { type: "Point", coordinates: [p.lon, p.lat] }, properties: { id: p.id, stale: !!p.stale } })) });
      source("accuracy").setData({ type: "FeatureCollection", features: points.filter((p) => p.accuracy).map((p) => ({
        type: "Feature", geometry: { type: "Polygon", coordinates: [circle(p.lon, p.lat, p.accuracy!)] }, properties: {} })) });
      labels.forEach((m) => m.remove());
      labels = points.length > LABEL_LIMIT ? [] : points.filter((p) => p.label).map((p) =>
        new maplibregl.Marker({ element: h("span", { class: "map-label", "aria-hidden": "true" }, p.label!), anchor: "left", offset: [10, 0] })
          .setLngLat([p.lon, p.lat]).addTo(map));
      await rendered("renderedPoints", points.length);
    },
    async setTrack(coords, stops) {
      source("track").setData(coords.length > 1
        ? { type: "Feature", geometry: { type: "LineString", coordinates: coords }, properties: {} } : empty());
      source("stops").setData({ type: "FeatureCollection", features: stops.map((c) => ({ type: "Feature",
        geometry: { type: "Point", coordinates: c }, properties: {} })) });
      await rendered("renderedTrack", coords.length);
    },
    setCursor(coord) {
      source("cursor").setData(coord ? { type: "Feature", geometry: { type: "Point", coordinates: coord }, properties: {} } : empty());
    },
    fit(coords) {
      if (!coords.length) return;
      let [w, s, e, n] = [coords[0][0], coords[0][1], coords[0][0], coords[0][1]];
      for (const [x, y] of coords) { w = Math.min(w, x); e = Math.max(e, x); s = Math.min(s, y); n = Math.max(n, y); }
      const pad = 0.002;
      map.fitBounds([[w - pad, s - pad], [e + pad, n + pad]] as LngLatBoundsLike, { padding: 40, duration: 0, maxZoom: 16 });
    },
    remove() { map.remove(); },
  };
}

/** Whether this browser can draw the map at all (WebGL); the pages still list everything without it. */
export function webglAvailable(): boolean {
  try {
    const c = document.createElement("canvas");
    return !!(c.getContext("webgl2") ?? c.getContext("webgl"));
  } catch {
    return false;
  }
}
