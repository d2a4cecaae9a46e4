// The map: MapLibre GL JS, loaded on demand (its own chunk) so pages without a map never download it. The base map:
// - in Azure (config.json map.provider "azure-maps"), Azure Maps road tiles with Microsoft Entra ID authentication: the
//   API hands the browser a short-lived token obtained through the app's managed identity (GET /api/maps/token); no
//   subscription key ever reaches the browser;
// - a style URL in config.json map.style, if one is set;
// - otherwise an offline base map shipped with the portal: Natural Earth land and country borders (world-atlas), so
//   the local portal and its screenshots are never blank.

import type {
  CircleLayerSpecification,
  FillLayerSpecification,
  GeoJSONSource,
  GeoJSONSourceSpecification,
  LineLayerSpecification,
  LngLatBoundsLike,
  Map as MlMap,
  Marker,
  RequestParameters,
} from "maplibre-gl";
import { config } from "../../config";
import { h } from "../../ui/dom";
import { offlineStyle, azureMapsStyle, preloadOfflineStyle, type BaseMap } from "./basemap";
import { api, data } from "../../api/typed";
import type { Units } from "../../ui/format";

const LABEL_LIMIT = 100; // name labels (DOM markers) up to this many points; beyond, clusters and names on click
const CLUSTER_RADIUS = 40; // pixels
const METRES_PER_PIXEL_Z22 = 40_075_016.686 / (512 * 2 ** 22); // at the equator, at zoom 22 (512-pixel tiles)

export interface Point {
  id: string;
  lon: number;
  lat: number;
  accuracy?: number;
  label?: string;
  stale?: boolean;
}

/** A job site's outline as one closed ring of [longitude, latitude] (a circle is drawn as a 48-corner ring). */
export interface SiteShape {
  id: string;
  name: string;
  ring: number[][];
  selected?: boolean;
}

export interface PortalMap {
  map: MlMap;
  setPoints(points: Point[]): Promise<void>;
  /** Job sites (outlined areas), and the shape being drawn in an editor (corners and outline), if any. */
  setSites(sites: SiteShape[], draft?: number[][]): void;
  setTrack(coords: number[][], stops: number[][]): Promise<void>;
  setCursor(coord: number[] | null): void;
  fit(coords: number[][]): void;
  remove(): void;
}

type MapLibre = typeof import("maplibre-gl");

/** A moment of the first map render of this page load, as a mark "map:<name>" on the browser's performance timeline
 * (bench/portal.py reads them); only the first of each name is kept (polls would add them without end). */
export function mark(name: string): void {
  if (!performance.getEntriesByName(`map:${name}`, "mark").length) performance.mark(`map:${name}`);
}

export function circle(lon: number, lat: number, metres: number, steps = 24): number[][] {
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

let library: Promise<MapLibre> | null = null;

/** Starts downloading the map library (and its worker and CSS) without waiting: a page calls it first thing, so the
 * library loads while the page's data is requested. */
export function preloadMapLibrary(): Promise<MapLibre> {
  library ??= Promise.all([
    import("maplibre-gl"),
    import("maplibre-gl/dist/maplibre-gl-worker.mjs?url"),
    import("maplibre-gl/dist/maplibre-gl.css"),
  ]).then(([maplibregl, worker]) => {
    maplibregl.setWorkerUrl(worker.default); // the worker ships as its own file; the bundle would lose its URL
    maplibregl.prewarm(); // the worker starts now, while the page's data loads (and stays for the next map pages)
    mark("library");
    return maplibregl;
  });
  return library;
}

/** Starts loading what a map needs without waiting: the library (with its worker and CSS) and the offline base
 * map's shapes when that is the base map. */
export function preloadMap(): void {
  void preloadMapLibrary().catch(() => undefined);
  if (config().map.provider !== "azure-maps" && !config().map.style) preloadOfflineStyle();
}

async function baseMap(): Promise<BaseMap> {
  const settings = config().map;
  if (settings.provider === "azure-maps") {
    return azureMapsStyle(async () => data(await api().GET("/api/maps/token")));
  }
  if (settings.style) return { style: settings.style, attribution: "", stop: () => undefined };
  return offlineStyle();
}

/** Options of the page sources beyond their data. */
const SOURCES: Record<string, Partial<GeoJSONSourceSpecification>> = {
  // No buffer: a position near a tile's edge is in one tile only (circles are not clipped to their tile, and the
  // translucent disc drawn from two tiles would look twice as dark).
  accuracy: { buffer: 0 },
  points: { cluster: true, clusterRadius: CLUSTER_RADIUS, clusterMaxZoom: 15 },
};

/** The page layers, bottom to top, each drawing one source (added with its source). */
const OVERLAYS: (CircleLayerSpecification | FillLayerSpecification | LineLayerSpecification)[] = [
  {
    id: "sites",
    type: "fill",
    source: "sites",
    paint: {
      "fill-color": ["case", ["get", "selected"], "#b3541e", "#0f7b3f"],
      "fill-opacity": 0.18,
    },
  },
  {
    id: "sites-outline",
    type: "line",
    source: "sites",
    paint: {
      "line-color": ["case", ["get", "selected"], "#b3541e", "#0f7b3f"],
      "line-width": 2,
    },
  },
  {
    id: "draft-line",
    type: "line",
    source: "draft",
    filter: ["==", ["geometry-type"], "LineString"],
    paint: { "line-color": "#b3541e", "line-width": 2, "line-dasharray": [2, 1] },
  },
  {
    id: "draft-corners",
    type: "circle",
    source: "draft",
    filter: ["==", ["geometry-type"], "Point"],
    paint: { "circle-radius": 5, "circle-color": "#fff", "circle-stroke-color": "#b3541e", "circle-stroke-width": 2 },
  },
  // Accuracy: a disc of the fix's radius in metres around each position, drawn as a circle whose radius in pixels
  // doubles with each zoom level (`r22`: the radius at zoom 22), not as a polygon the worker has to cut into tiles.
  {
    id: "accuracy",
    type: "circle",
    source: "accuracy",
    paint: {
      "circle-radius": [
        "interpolate",
        ["exponential", 2],
        ["zoom"],
        0,
        ["*", ["get", "r22"], 2 ** -22],
        22,
        ["get", "r22"],
      ],
      "circle-color": "#1b5e9a",
      "circle-opacity": 0.15,
      "circle-pitch-alignment": "map",
    },
  },
  { id: "track", type: "line", source: "track", paint: { "line-color": "#1b5e9a", "line-width": 3 } },
  {
    id: "stops",
    type: "circle",
    source: "stops",
    paint: { "circle-radius": 8, "circle-color": "#b3541e", "circle-stroke-color": "#fff", "circle-stroke-width": 2 },
  },
  {
    id: "start",
    type: "circle",
    source: "start",
    paint: { "circle-radius": 7, "circle-color": "#fff", "circle-stroke-color": "#0f7b3f", "circle-stroke-width": 3 },
  },
  {
    id: "clusters",
    type: "circle",
    source: "points",
    filter: ["has", "point_count"],
    paint: {
      "circle-color": "#1b5e9a",
      "circle-opacity": 0.85,
      "circle-stroke-color": "#fff",
      "circle-stroke-width": 2,
      "circle-radius": ["step", ["get", "point_count"], 14, 10, 18, 100, 24, 1000, 30],
    },
  },
  {
    id: "points",
    type: "circle",
    source: "points",
    filter: ["!", ["has", "point_count"]],
    paint: {
      "circle-radius": 6,
      "circle-stroke-color": "#fff",
      "circle-stroke-width": 2,
      "circle-color": ["case", ["get", "stale"], "#6b7280", "#1b5e9a"],
    },
  },
  {
    id: "cursor",
    type: "circle",
    source: "cursor",
    paint: { "circle-radius": 7, "circle-color": "#0f7b3f" },
  },
];

/** The padded bounding box of `coords` (at least one). */
function boundsOf(coords: number[][]): LngLatBoundsLike {
  let [w, s, e, n] = [coords[0][0], coords[0][1], coords[0][0], coords[0][1]];
  for (const [x, y] of coords) {
    w = Math.min(w, x);
    e = Math.max(e, x);
    s = Math.min(s, y);
    n = Math.max(n, y);
  }
  const pad = 0.002;
  return [
    [w - pad, s - pad],
    [e + pad, n + pad],
  ];
}

const FIT = { padding: 40, duration: 0, maxZoom: 16 };

/** The map, resolved as soon as its style is there (before its first frame): a page sets its data at once, so the
 * first frame drawn and the first `idle` already show it. `fit`: coordinates the first view frames (when the page
 * has its data before the map); otherwise the whole world, until the page calls fit(). */
/** `fit`: positions to frame at once; `units`: the scale bar's, the account's choice (`me.units`). */
export async function createMap(
  container: HTMLElement,
  label: string,
  fit?: number[][],
  units: Units = "metric",
): Promise<PortalMap> {
  const [maplibregl, base] = await Promise.all([preloadMapLibrary(), baseMap().finally(() => mark("base"))]);
  const map = new maplibregl.Map({
    container,
    style: base.style,
    ...(fit?.length ? { bounds: boundsOf(fit), fitBoundsOptions: FIT } : { center: [0, 20], zoom: 1 }),
    fadeDuration: 0,
    attributionControl: false,
    transformRequest: base.transformRequest as ((url: string) => RequestParameters) | undefined,
  });
  map.addControl(
    new maplibregl.AttributionControl({ compact: false, customAttribution: base.attribution || undefined }),
    "bottom-right",
  );
  map.getCanvas().setAttribute("aria-label", label);
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: units }), "bottom-left"); // distances at street zoom
  container.dataset.baseMap =
    config().map.provider === "azure-maps" ? "azure-maps" : config().map.style ? "style" : "offline";
  await new Promise<void>((resolve) => map.once("style.load", () => resolve()));
  mark("created");
  if (base.refine) map.once("idle", () => base.refine?.(map)); // after the first view is drawn
  // The page's sources and their layers are added when the page first gives the source data (`put`): a map has
  // only what its page uses, and a source's first tiles are made from its data (an empty source given data at once
  // had its tiles made twice).
  const put = (id: string, data: GeoJSON.GeoJSON): void => {
    const existing = map.getSource(id) as GeoJSONSource | undefined;
    if (existing) {
      existing.setData(data);
      return;
    }
    map.addSource(id, { type: "geojson", data, ...SOURCES[id] });
    OVERLAYS.forEach((layer, i) => {
      if (layer.source !== id) return;
      map.addLayer(layer, OVERLAYS.slice(i + 1).find((later) => map.getLayer(later.id))?.id); // in OVERLAYS' order
    });
    if (id === "points") pointEvents();
  };
  const rendered = (what: string, count: number): Promise<void> =>
    new Promise((resolve) => {
      map.once("idle", () => {
        container.dataset[what] = String(count);
        resolve();
      });
      map.triggerRepaint();
    });
  const source = (id: string): GeoJSONSource => map.getSource(id) as GeoJSONSource;
  let labels: Marker[] = [];
  let counts: Marker[] = [];
  let names = new Map<string, string>();

  // A cluster's count as text beside it (the offline map has no font server for symbol layers), for the clusters
  // drawn now; clicking a cluster zooms in until it splits, clicking a member's dot shows their name.
  const showCounts = (): void => {
    for (const m of counts) m.remove();
    counts = [];
    const seen = new Set<number>();
    for (const f of map.getLayer("clusters") ? map.queryRenderedFeatures({ layers: ["clusters"] }) : []) {
      const id = Number(f.properties?.cluster_id);
      if (seen.has(id) || f.geometry.type !== "Point") continue;
      seen.add(id);
      counts.push(
        new maplibregl.Marker({
          element: h("span", { class: "map-count", "aria-hidden": "true" }, String(f.properties?.point_count)),
        })
          .setLngLat(f.geometry.coordinates as [number, number])
          .addTo(map),
      );
      if (counts.length >= 200) break;
    }
    container.dataset.clusters = String(seen.size);
  };
  map.on("moveend", showCounts);

  /** Clicks and the pointer on the members' dots and clusters (once their layers exist). */
  function pointEvents(): void {
    map.on("click", "clusters", (ev) => {
      const f = ev.features?.[0];
      if (f?.geometry.type !== "Point") return;
      const centre = f.geometry.coordinates as [number, number];
      void source("points")
        .getClusterExpansionZoom(Number(f.properties?.cluster_id))
        .then((zoom) => map.easeTo({ center: centre, zoom, duration: 0 }));
    });
    map.on("click", "points", (ev) => {
      const f = ev.features?.[0];
      if (f?.geometry.type !== "Point") return;
      const text = names.get(String(f.properties?.id)) ?? "";
      new maplibregl.Popup({ closeButton: true, offset: 10 })
        .setLngLat(f.geometry.coordinates as [number, number])
        .setText(text)
        .addTo(map);
    });
    for (const layer of ["clusters", "points"]) {
      map.on("mouseenter", layer, () => {
        map.getCanvas().style.cursor = "pointer";
      });
      map.on("mouseleave", layer, () => {
        map.getCanvas().style.cursor = "";
      });
    }
  }

  return {
    map,
    async setPoints(points) {
      names = new Map(points.map((p) => [p.id, p.label ?? ""]));
      put("points", {
        type: "FeatureCollection",
        features: points.map((p) => ({
          type: "Feature",
          geometry: { type: "Point", coordinates: [p.lon, p.lat] },
          properties: { id: p.id, stale: !!p.stale },
        })),
      });
      put("accuracy", {
        type: "FeatureCollection",
        features: points.flatMap((p) =>
          p.accuracy
            ? [
                {
                  type: "Feature" as const,
                  geometry: { type: "Point" as const, coordinates: [p.lon, p.lat] },
                  properties: { r22: p.accuracy / (METRES_PER_PIXEL_Z22 * Math.cos((p.lat * Math.PI) / 180)) },
                },
              ]
            : [],
        ),
      });
      for (const m of labels) m.remove();
      labels =
        points.length > LABEL_LIMIT
          ? []
          : points.flatMap((p) =>
              !p.label
                ? []
                : new maplibregl.Marker({
                    element: h("span", { class: "map-label", "aria-hidden": "true" }, p.label),
                    anchor: "left",
                    offset: [10, 0],
                  })
                    .setLngLat([p.lon, p.lat])
                    .addTo(map),
            );
      mark("points");
      await rendered("renderedPoints", points.length);
      mark("drawn");
      showCounts();
    },
    setSites(sites, draft) {
      put("sites", {
        type: "FeatureCollection",
        features: sites.map((site) => ({
          type: "Feature",
          geometry: { type: "Polygon", coordinates: [site.ring] },
          properties: { id: site.id, selected: !!site.selected },
        })),
      });
      const corners = draft ?? [];
      put("draft", {
        type: "FeatureCollection",
        features: [
          ...corners.map((c) => ({
            type: "Feature" as const,
            geometry: { type: "Point" as const, coordinates: c },
            properties: {},
          })),
          ...(corners.length > 1
            ? [
                {
                  type: "Feature" as const,
                  properties: {},
                  geometry: { type: "LineString" as const, coordinates: [...corners, corners[0]] },
                },
              ]
            : []),
        ],
      });
      container.dataset.sites = String(sites.length);
      container.dataset.draftCorners = String(corners.length);
    },
    async setTrack(coords, stops) {
      put(
        "track",
        coords.length > 1
          ? { type: "Feature", geometry: { type: "LineString", coordinates: coords }, properties: {} }
          : empty(),
      );
      put("stops", {
        type: "FeatureCollection",
        features: stops.map((c) => ({ type: "Feature", geometry: { type: "Point", coordinates: c }, properties: {} })),
      });
      put(
        "start",
        coords.length
          ? { type: "Feature", geometry: { type: "Point", coordinates: coords[0] }, properties: {} }
          : empty(),
      );
      await rendered("renderedTrack", coords.length);
    },
    setCursor(coord) {
      put(
        "cursor",
        coord ? { type: "Feature", geometry: { type: "Point", coordinates: coord }, properties: {} } : empty(),
      );
    },
    fit(coords) {
      if (coords.length) map.fitBounds(boundsOf(coords), FIT);
    },
    remove() {
      base.stop();
      map.remove();
    },
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
