// Every test file talks to the fake Stripe API instead of the network (see fake-stripe.ts).
import { installFakeStripe } from "./fake-stripe";

installFakeStripe();
