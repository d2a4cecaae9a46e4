// Base maps for MapLibre. Two sources, chosen by config.json (map.provider):
// - "azure-maps": Azure Maps road tiles (Render v2, tileset microsoft.base.road), authenticated with a Microsoft
//   Entra ID token that the API obtains through the app's managed identity (GET /api/maps/token) and the
//   x-ms-client-id header naming the Maps account; the token is renewed before it expires. No subscription key.
// - anything else: an offline base map shipped with the portal, Natural Earth land and country borders (1:110m) from
//   the world-atlas package, drawn from static files of the build; once the map has drawn its first view and shows
//   a continent or more, the land is replaced by the finer 1:50m shapes (ten times the data: no view waits for
//   them). It has no streets, but the local portal and its screenshots are never blank.

import type { GeoJSONSource, Map as MlMap, RequestParameters, StyleSpecification } from "maplibre-gl";
import { feature, mesh } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import coarseLandUrl from "world-atlas/land-110m.json?url";
import fineLandUrl from "world-atlas/land-50m.json?url";
import countriesUrl from "world-atlas/countries-110m.json?url";

export const AZURE_MAPS_HOST = "https://atlas.microsoft.com";
const AZURE_MAPS_TILES = `${AZURE_MAPS_HOST}/map/tile?api-version=2024-04-01&tilesetId=microsoft.base.road&zoom={z}&x={x}&y={y}&tileSize=256`;
/** Azure Maps' terms require the data providers' attribution on every map that shows its tiles. */
export const AZURE_MAPS_ATTRIBUTION = "© Microsoft Azure Maps, © TomTom";
export const OFFLINE_ATTRIBUTION = "Natural Earth";
const RENEW_BEFORE_MS = 5 * 60_000;
/** The 1:50m land replaces the 1:110m one once the map shows this zoom or a wider area. Natural Earth's scales are
 * made for maps of the world and of continents; from city zoom on, both are kilometres away from the real coast
 * (the 1:50m one a little less), so a map opened on a crew never downloads the finer shapes. */
const FINE_UP_TO_ZOOM = 7;
const BORDERS_BELOW_ZOOM = 9;

const WATER = "#cfe3ef";
const LAND = "#f4f1ea";
const BORDER = "#9aa5b1";

export interface MapToken {
  accessToken: string;
  expiresOn: string;
  clientId: string;
}

export interface BaseMap {
  style: StyleSpecification | string;
  attribution: string;
  /** Adds the Entra token and the Maps account's client id to Azure Maps requests (and nothing to others). */
  transformRequest?: (url: string) => RequestParameters | undefined;
  /** Called once the map has drawn its first view: replaces coarse shapes by finer ones, if the base map has some. */
  refine?(map: MlMap): void;
  stop(): void;
}

async function topology(url: string): Promise<Topology> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`base map ${url}: HTTP ${r.status}`);
  return (await r.json()) as Topology;
}

type Shapes = { land: GeoJSON.GeoJSON; borders: GeoJSON.GeoJSON };

/** A download converted once per page load (every map page after the first reuses it); after a failure the next
 * map tries again. */
function cached<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | null = null;
  return () => {
    if (!loaded) {
      loaded = load();
      loaded.catch(() => {
        loaded = null;
      });
    }
    return loaded;
  };
}

/** The shapes of the first view: land and borders at 1:110m (about 40 KiB gzipped in all). */
const coarseShapes = cached(
  (): Promise<Shapes> =>
    Promise.all([topology(coarseLandUrl), topology(countriesUrl)]).then(([land, countries]) => ({
      land: feature(land, land.objects.land as GeometryCollection),
      borders: mesh(countries, countries.objects.countries as GeometryCollection, (a, b) => a !== b),
    })),
);

/** Land at 1:50m, for the views after the first. */
const fineLand = cached(
  (): Promise<GeoJSON.GeoJSON> =>
    topology(fineLandUrl).then((land) => feature(land, land.objects.land as GeometryCollection)),
);

/** Starts downloading the offline base map's first shapes (a page calls it while it asks for its data). */
export function preloadOfflineStyle(): void {
  void coarseShapes().catch(() => undefined);
}

/** Natural Earth land and borders, no network beyond the portal's own files. */
export async function offlineStyle(): Promise<BaseMap> {
  const { land: landShapes, borders } = await coarseShapes();
  let stopped = false;
  return {
    attribution: OFFLINE_ATTRIBUTION,
    stop: () => {
      stopped = true;
    },
    refine: (map) => {
      const wide = (): void => {
        if (map.getZoom() > FINE_UP_TO_ZOOM) return;
        map.off("zoomend", wide);
        void fineLand()
          .then((land) => {
            if (!stopped) (map.getSource("land") as GeoJSONSource | undefined)?.setData(land);
          })
          .catch(() => undefined); // the coarse land stays
      };
      map.on("zoomend", wide);
      wide();
    },
    style: {
      version: 8,
      sources: {
        land: { type: "geojson", data: landShapes, attribution: OFFLINE_ATTRIBUTION },
        borders: { type: "geojson", data: borders },
      },
      layers: [
        { id: "water", type: "background", paint: { "background-color": WATER } },
        // no outline pass (a second shader and draw per frame): at most a slightly rough coast in world views
        { id: "land", type: "fill", source: "land", paint: { "fill-color": LAND, "fill-antialias": false } },
        // The 1:110m borders are kilometres off at city zoom: drawn in wide views only (and their tiles are then
        // not even made for a map opened on a crew).
        {
          id: "borders",
          type: "line",
          source: "borders",
          maxzoom: BORDERS_BELOW_ZOOM,
          paint: { "line-color": BORDER, "line-width": 0.8 },
        },
      ],
    },
  };
}

/** Azure Maps road tiles; `token` asks the API for a fresh token (it is called again before each one expires). */
export async function azureMapsStyle(token: () => Promise<MapToken>): Promise<BaseMap> {
  let current = await token();
  let timer = 0;
  const schedule = (): void => {
    const wait = Math.max(30_000, new Date(current.expiresOn).getTime() - Date.now() - RENEW_BEFORE_MS);
    timer = window.setTimeout(() => {
      void token()
        .then((t) => {
          current = t;
        })
        .catch(() => undefined)
        .finally(schedule);
    }, wait);
  };
  schedule();
  return {
    attribution: AZURE_MAPS_ATTRIBUTION,
    stop: () => window.clearTimeout(timer),
    transformRequest: (url) =>
      url.startsWith(`${AZURE_MAPS_HOST}/`)
        ? { url, headers: { Authorization: `Bearer ${current.accessToken}`, "x-ms-client-id": current.clientId } }
        : undefined,
    style: {
      version: 8,
      sources: {
        road: {
          type: "raster",
          tiles: [AZURE_MAPS_TILES],
          tileSize: 256,
          maxzoom: 19,
          attribution: AZURE_MAPS_ATTRIBUTION,
        },
      },
      layers: [
        { id: "water", type: "background", paint: { "background-color": WATER } },
        { id: "road", type: "raster", source: "road" },
      ],
    },
  };
}
