import { describe, expect, it } from "vitest";
import { createResendEmailSender } from "../../src/email/resend";

describe("Resend email provider", () => {
  const message = { to: "ada@example.com", subject: "Hello", text: "Body with a link", links: [] };

  it("posts the message to Resend's API with the key as a bearer token", async () => {
    const requests: Request[] = [];
    const sender = createResendEmailSender({
      apiKey: "re_secret",
      from: "Rampart <no-reply@example.com>",
      fetcher: async (input, init) => {
        requests.push(new Request(input, init));
        return Response.json({ id: "email_1" });
      },
    });
    await sender.send(message);
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.url).toBe("https://api.resend.com/emails");
    expect(request!.headers.get("authorization")).toBe("Bearer re_secret");
    expect(await request!.json()).toEqual({
      from: "Rampart <no-reply@example.com>",
      to: ["ada@example.com"],
      subject: "Hello",
      text: "Body with a link",
    });
  });

  it("throws when Resend refuses, so the deferred task logs the failure", async () => {
    const sender = createResendEmailSender({
      apiKey: "re_secret",
      from: "x@example.com",
      fetcher: async () => new Response("{}", { status: 422 }),
    });
    await expect(sender.send(message)).rejects.toThrow("422");
  });
});
