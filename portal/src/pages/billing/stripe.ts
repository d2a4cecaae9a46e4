// Stripe.js, loaded only by the billing page from the URL in config.json (https://js.stripe.com/v3/ in Azure,
// localstripe's stand-in locally). Only the parts the card form uses are typed. The card is typed into Stripe's
// element and sent to Stripe by confirmCardSetup; this app only ever holds the SetupIntent's ids.

export interface CardElement {
  mount(el: HTMLElement): void;
  destroy(): void;
}

export interface StripeApi {
  elements(): { create(type: "card", options?: Record<string, unknown>): CardElement };
  confirmCardSetup(
    clientSecret: string,
    data: { payment_method: { card: CardElement } },
  ): Promise<{ error?: { message?: string } | null; setupIntent?: { id: string; status: string } }>;
}

type StripeFactory = (publishableKey: string) => StripeApi;

declare global {
  interface Window {
    Stripe?: StripeFactory; // set by Stripe.js once its script has run
  }
}

let loading: Promise<StripeFactory> | null = null;

function loaded(): StripeFactory | undefined {
  return window.Stripe;
}

export function loadStripe(src: string): Promise<StripeFactory> {
  const ready = loaded();
  if (ready) return Promise.resolve(ready);
  loading ??= new Promise<StripeFactory>((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.async = true;
    script.addEventListener("load", () => {
      const factory = loaded();
      if (factory) resolve(factory);
      else reject(new Error("Stripe.js loaded but did not start."));
    });
    script.addEventListener("error", () => {
      loading = null;
      reject(new Error("Stripe.js could not be loaded; the card form is unavailable."));
    });
    document.head.append(script);
  });
  return loading;
}
